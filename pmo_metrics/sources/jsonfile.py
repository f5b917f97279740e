"""JSON and JSON Lines extracts (CONTRACT §1): records become a frame like any other file's.

A `.json` file holds an array of records, or an object holding one (`{"projects": [...]}`, found by
itself when exactly one key holds an array of objects, else named by the source's `records`); a
`.jsonl` / `.ndjson` file holds one record a line. Nested fields become headers named by their
dotted path (`sector1.Name`), so a mapping refers to them like any column; an array field is
joined into text (`join`, default "; "), or — for the one array a source names in `explode` —
each of its elements becomes a row of its own, with the record's other fields repeated.

DuckDB reads the file and takes every field apart (`read_json_objects`, `json_extract_string`):
no record passes through Python. `_row` is the record's number (1 for the first record; blank
lines of a JSON Lines file are not counted); exploded rows are numbered element by element through
the file, in a frame named after the array (`portfolio.json[milestones]`, row 3: the third element).
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ..findings import BatchError
from .frames import ROW, SourceFrame, unique_headers
from .workspace import Workspace

JSON_EXTS = (".json", ".jsonl", ".ndjson")
JSON_KEYS = frozenset({"records", "explode", "join"})
_MIN_OBJECT = 16 * 1024 * 1024  # DuckDB's default maximum object size


def _path(keys: tuple[str, ...]) -> str:
    """A JSON path for DuckDB, every key quoted."""
    for k in keys:
        if '"' in k:
            raise BatchError(f"a JSON field name holds a double quote ({k!r}); such fields cannot be addressed")
    return "$" + "".join(f'."{k}"' for k in keys)


def _split(dotted: str | None) -> tuple[str, ...]:
    return tuple(p for p in (dotted or "").split(".") if p)


def _leaves(structure, prefix: tuple[str, ...], explode: tuple[str, ...] | None, out: list) -> None:
    """(dotted keys, kind) of every field: kind "value", "array", or "element" (inside the exploded array)."""
    if isinstance(structure, dict):
        for key, sub in structure.items():
            _leaves(sub, prefix + (key,), explode, out)
    elif isinstance(structure, list):
        if explode is not None and prefix == explode:
            element = structure[0] if structure else "NULL"
            if isinstance(element, dict):
                inner: list = []
                _leaves(element, (), None, inner)
                out.extend((prefix + keys, "element", keys) for keys, _kind, _ in inner)
            else:
                out.append((prefix, "element", ()))
        else:
            out.append((prefix, "array", ()))
    else:
        out.append((prefix, "value", ()))


def read_json(path: Path, label: str, options: dict, ws: Workspace) -> SourceFrame:
    """A JSON or JSON Lines file → a workspace table: _row and one text column per field path."""
    if path.stat().st_size == 0:
        return SourceFrame.nothing(label, path)
    lines = path.suffix.lower() in (".jsonl", ".ndjson")
    size = max(_MIN_OBJECT, path.stat().st_size + 1)
    records = ws.name("records")
    con = ws.con
    try:
        if lines:
            # Materialised first: a table's rowid is its insertion order, which is the file's.
            con.execute(f"CREATE TEMP TABLE {records}_lines AS SELECT json AS j FROM read_json_objects(?, "
                        f"format = 'newline_delimited', maximum_object_size = ?)", [str(path), size])
            con.execute(f"CREATE TEMP TABLE {records} AS SELECT rowid + 1 AS {ROW}, j FROM {records}_lines")
            con.execute(f"DROP TABLE {records}_lines")
        else:
            top = con.execute("SELECT json_type(json), CASE WHEN json_type(json) = 'OBJECT' THEN "
                              "json_structure(json) END FROM read_json_objects(?, format = 'unstructured', "
                              "maximum_object_size = ?) LIMIT 2", [str(path), size]).fetchall()
            if len(top) != 1 or top[0][0] not in ("ARRAY", "OBJECT"):
                raise BatchError(f"{label}: a JSON extract holds one array of records, or one object holding "
                                 "one (for one record a line, name the file .jsonl)")
            at = _records_path(label, top[0][0], top[0][1], options.get("records"))
            con.execute(f"CREATE TEMP TABLE {records} AS SELECT generate_subscripts(l, 1) AS {ROW}, unnest(l) AS j "
                        f"FROM (SELECT json_extract(json, ?) AS l FROM read_json_objects(?, format = 'unstructured', "
                        f"maximum_object_size = ?))", [at + "[*]", str(path), size])
        structure = con.execute(f"SELECT json_group_structure(j) FROM {records} "
                                f"WHERE json_type(j) = 'OBJECT'").fetchone()[0]
        not_objects = con.execute(f"SELECT min({ROW}) FROM {records} WHERE json_type(j) <> 'OBJECT'").fetchone()[0]
    except duckdb.Error as e:
        raise BatchError(f"{label}: not readable JSON ({str(e).splitlines()[0]})") from None
    if not_objects is not None:
        raise BatchError(f"{label}: record {not_objects} is not an object ({{\"field\": value, …}})")
    if structure is None:
        return SourceFrame.nothing(label, path)
    explode = _split(options.get("explode")) or None
    fields: list = []
    _leaves(json.loads(structure), (), explode, fields)
    if explode is not None and not any(kind == "element" for _, kind, _ in fields):
        known = ", ".join(".".join(k) for k, kind, _ in fields if kind == "array") or "none"
        raise BatchError(f"{label}: explode = {'.'.join(explode)!r} names no array field (arrays: {known})")
    join = options.get("join", "; ")
    params: list = []

    def bind(value) -> str:
        params.append(value)
        return f"${len(params)}"

    texts = []
    for i, (keys, kind, inner) in enumerate(fields, start=1):
        if kind == "value":
            texts.append(f"json_extract_string(r.j, {bind(_path(keys))}) AS c{i}")
        elif kind == "array":
            texts.append(f"array_to_string(json_extract_string(r.j, {bind(_path(keys) + '[*]')}), {bind(join)}) AS c{i}")
        else:
            texts.append(f"json_extract_string(e.e, {bind(_path(inner))}) AS c{i}")
    source, row = f"{records} AS r", f"r.{ROW}"
    if explode is not None:
        # Each element is a row of its own, numbered 1, 2, … through the file (in a frame named
        # after the array), so a finding — and quarantine — concerns that element alone.
        source += (f", LATERAL (SELECT unnest(l) AS e, generate_subscripts(l, 1) AS i FROM "
                   f"(SELECT json_extract(r.j, {bind(_path(explode) + '[*]')}) AS l)) AS e")
        row = f"row_number() OVER (ORDER BY r.{ROW}, e.i)"
        label = f"{label}[{'.'.join(explode)}]"
    table = ws.name("frame")
    try:
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT {row} AS {ROW}, {', '.join(texts)} FROM {source} "
                    f"ORDER BY 1", params)
        con.execute(f"DROP TABLE {records}")
    except duckdb.Error as e:
        raise BatchError(f"{label}: not readable JSON ({str(e).splitlines()[0]})") from None
    headers = unique_headers([".".join(keys) for keys, _, _ in fields])
    return SourceFrame(label, headers, path, table=table)


def _records_path(label: str, kind: str, structure: str | None, records: str | None) -> str:
    """The JSON path of the array of records: the file itself, `records`, or the one key holding one."""
    if records:
        return _path(_split(records))
    if kind == "ARRAY":
        return "$"
    arrays = [k for k, v in json.loads(structure).items() if isinstance(v, list) and v and isinstance(v[0], dict)]
    if len(arrays) != 1:
        raise BatchError(f"{label}: the object holds {'no' if not arrays else len(arrays)} arrays of records"
                         + (f" ({', '.join(arrays)})" if arrays else "")
                         + "; say which with records = \"key\" in the mapping's source")
    return _path((arrays[0],))
