"""Stage 1, reading a council's workbook: the guard (no parser sees a hostile file), the OOXML
package, cell parsing and the reader that turns sheets into typed frames indexed by Excel row.
Imports only `pipeline.core`."""
