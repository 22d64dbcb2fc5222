"""Stage 4, what the service publishes: `build` runs the cross-LA checks and the marts (`sql/`) and
writes every product (DfE returns, regional and national workbooks, extracts) into
outputs/<quarter>/ at once; `pull` hands an analyst their share; the upload template and sample data."""
