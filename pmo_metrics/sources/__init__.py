"""Readers and mappings: extracts (csv / tsv / xlsx / parquet, databases) → contract tables.

`read_batch` reads a batch folder or workbook, optionally through a mapping (docs/mappings.md),
into a DuckDB workspace, and returns every table typed as the contract says, the raw rows as read,
the findings (SCHEMA, UNKNOWN-FILE, MAP-VALUE) and the files read with their SHA-256.
"""
from .batch import Batch, SourceFile, TableData, read_batch
from .cells import ValueOptions
from .frames import SourceFrame
from .mapping import Mapping, load_mapping
from .readers import READER_KINDS, ReaderKind
from .workspace import Workspace

__all__ = ["Batch", "SourceFile", "TableData", "read_batch", "Mapping", "load_mapping", "ValueOptions",
           "READER_KINDS", "ReaderKind", "SourceFrame", "Workspace"]
