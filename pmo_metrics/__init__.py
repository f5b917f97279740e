"""PMO analytics library: extracts → data accuracy rules → DuckDB → KPIs.

Plain Python: nothing here imports streamlit or opens a connection at import time.
"""
__version__ = "0.1.0"
