"""Readers and mappings: extracts (csv / tsv / xlsx / parquet, later databases) → contract tables.

`read_batch` reads a batch folder or workbook, optionally through a mapping (docs/mappings.md),
and returns every table typed as the contract says, the raw rows as read, the findings (SCHEMA,
UNKNOWN-FILE, MAP-VALUE) and the files read with their SHA-256.
"""
from .batch import Batch, SourceFile, TableData, read_batch
from .mapping import Mapping, load_mapping
from .parse import ValueOptions
from .readers import READER_KINDS, ReaderKind, SourceFrame

__all__ = ["Batch", "SourceFile", "TableData", "read_batch", "Mapping", "load_mapping", "ValueOptions",
           "READER_KINDS", "ReaderKind", "SourceFrame"]
