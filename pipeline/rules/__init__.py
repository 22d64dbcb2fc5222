"""Stage 2, judging a return: `validate_file` runs the column rules (`schemas/`, pandera), the
cross-field and agency rules by family, and derives compliance; the feedback workbook shows the
findings in the council's own file. Stores nothing; imports only `core` and `read`."""
