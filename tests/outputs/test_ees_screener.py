"""The EES files read back through the rules DfE's screener enforces before a file may be published
on Explore Education Statistics: one function per rule, each citing where the rule is written.

Sources (read at these versions):
- SCREENER: DfE's screener, the R package eesyscreener
  (github.com/dfe-analytical-services/eesyscreener, commit f0e47bace5dd489a462b7bfe2f7d793c84cb0b7f):
  each rule below names its R/<check>.R file; allowed values from data-raw/acceptable_values.R and
  data-raw/req_values.R, geography columns per level from data-raw/geography_df.R.
- STANDARDS: DfE's open data standards, https://dfe-analytical-services.github.io/analysts-guide/
  statistics-production/ud.html (column order, time values, symbols, filters' 'Total').
- CONTRACT: data-contract section 7 (columns, symbols, financial-year quarters).

The data rules are also run over DfE's own workforce census file (pipeline/core/data), which EES
publishes: a rule that refused it would be a wrong rule.
"""
import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.reference import DATA_DIR

# SCREENER data-raw/req_values.R
REQ_DATA_COLS = ["geographic_level", "time_period", "time_identifier", "country_code", "country_name"]
REQ_META_COLS = ["col_name", "col_type", "label", "indicator_grouping", "indicator_unit", "indicator_dp",
                 "filter_hint", "filter_grouping_column"]
# SCREENER data-raw/acceptable_values.R
FINANCIAL_QUARTERS = [f"Financial year Q{i}" for i in range(1, 5)]
FOUR_DIGIT = ["Calendar year", "Reporting year"]
SIX_DIGIT = ["Financial year", "Academic year", "Tax year", *FINANCIAL_QUARTERS]
GSS_SYMBOLS = {"x", "z", "c", "low"}
LEGACY_SYMBOLS = {"~", ":"}
INDICATOR_UNITS = {"", "%", "pp", "£", "£m", "numberstring"}
# SCREENER data-raw/geography_df.R (the levels this file uses): code and name column of each level
LEVEL_COLUMNS = {"National": ("country_code", "country_name"), "Regional": ("region_code", "region_name"),
                 "Local authority": ("new_la_code", "la_name", "old_la_code")}
OB_UNITS = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
            "region_name", "new_la_code", "old_la_code", "la_name"]
# CONTRACT section 7: the columns in this order, then the filter, then the indicators
CONTRACT_COLUMNS = OB_UNITS + ["role_category"]
CENSUS = DATA_DIR / "csww_indicators_2023_to_2025.csv"


def read(path: Path) -> pd.DataFrame:
    """A CSV as EES reads it: every cell text, an empty cell an empty string."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def indicators(meta: pd.DataFrame) -> list[str]:
    return meta.loc[meta["col_type"] == "Indicator", "col_name"].tolist()


def filters(meta: pd.DataFrame) -> list[str]:
    return meta.loc[meta["col_type"] == "Filter", "col_name"].tolist()


# --- file names ----------------------------------------------------------------------------------

def rule_file_names(data_path: Path, meta_path: Path) -> None:
    """SCREENER R/check_filename_spaces.R, R/check_filename_special.R, R/check_filenames_match.R: no
    spaces or special characters; the metadata file is the data file's name with .meta.csv."""
    for path in (data_path, meta_path):
        assert re.fullmatch(r"[a-z0-9_]+(\.meta)?\.csv", path.name), path.name
    assert meta_path.name == data_path.name.removesuffix(".csv") + ".meta.csv"


# --- columns -------------------------------------------------------------------------------------

def rule_required_data_columns(data: pd.DataFrame) -> None:
    """SCREENER R/precheck_col_req_data.R: the five columns every EES data file has."""
    assert set(REQ_DATA_COLS) <= set(data.columns)


def rule_column_names(data: pd.DataFrame) -> None:
    """SCREENER R/check_col_snake_case.R, R/check_col_names_spaces.R, R/check_col_dupes: snake_case,
    no spaces, no column twice."""
    assert all(re.fullmatch(r"[a-z0-9_]+", c) for c in data.columns), list(data.columns)
    assert len(set(data.columns)) == len(data.columns)


def rule_column_order(data: pd.DataFrame, meta: pd.DataFrame) -> None:
    """STANDARDS ("Data file: column order": time, geography, filters, indicators) and CONTRACT
    section 7's exact list."""
    assert list(data.columns) == CONTRACT_COLUMNS + indicators(meta)
    assert filters(meta) == ["role_category"]


def rule_meta_columns(meta: pd.DataFrame) -> None:
    """SCREENER R/precheck_col_req_meta.R, R/precheck_col_invalid_meta.R: exactly the metadata columns
    EES reads (filter_default and parent_filter being optional)."""
    assert list(meta.columns) == REQ_META_COLS


def rule_data_and_meta_match(data: pd.DataFrame, meta: pd.DataFrame) -> None:
    """SCREENER R/precheck_cross_data_to_meta.R, R/precheck_cross_meta_to_data.R,
    R/precheck_meta_col_name.R: every column not an observational unit is in the metadata, every
    metadata row is a column, no observational unit is in the metadata."""
    assert set(data.columns) - set(OB_UNITS) == set(meta["col_name"])
    assert not set(meta["col_name"]) & set(OB_UNITS)


# --- time ----------------------------------------------------------------------------------------

def rule_time_identifiers(data: pd.DataFrame) -> None:
    """SCREENER R/precheck_time_id_valid.R, R/precheck_time_id_mix.R: allowed identifiers, and of one
    kind only (here the four financial-year quarters)."""
    ids = set(data["time_identifier"])
    assert ids <= set(FINANCIAL_QUARTERS + FOUR_DIGIT + SIX_DIGIT)
    assert ids <= set(FINANCIAL_QUARTERS) or len(ids) == 1


def rule_time_periods(data: pd.DataFrame) -> None:
    """SCREENER R/precheck_time_period_num.R, R/check_time_period.R, R/check_time_period_six.R: numeric,
    four digits for a year identifier, six for a financial one, the six of two consecutive years."""
    for period, ident in data[["time_period", "time_identifier"]].drop_duplicates().itertuples(index=False):
        assert period.isdigit(), period
        assert len(period) == (4 if ident in FOUR_DIGIT else 6), (period, ident)
        if len(period) == 6:
            assert (int(period[2:4]) + 1) % 100 == int(period[4:]), period


# --- geography -----------------------------------------------------------------------------------

def rule_geographic_levels(data: pd.DataFrame) -> None:
    """SCREENER R/precheck_geog_level.R: geographic_level one of EES's levels."""
    assert set(data["geographic_level"]) <= set(LEVEL_COLUMNS)


def rule_country(data: pd.DataFrame) -> None:
    """SCREENER R/check_geog_combos.R (country): England's code and name on every row."""
    assert set(zip(data["country_code"], data["country_name"])) == {("E92000001", "England")}


def rule_level_columns_completed(data: pd.DataFrame) -> None:
    """SCREENER R/check_geog_level_completed.R, R/check_geog_region_for.R: each level's own code and
    name columns filled on its rows (an LA's region too)."""
    for level, cols in LEVEL_COLUMNS.items():
        rows = data[data["geographic_level"] == level]
        needed = [*cols, *(("region_code", "region_name") if level == "Local authority" else ())]
        for col in needed:
            assert (rows[col] != "").all(), (level, col)


def rule_level_columns_not_overcompleted(data: pd.DataFrame) -> None:
    """SCREENER R/check_geog_overcompleted_cols.R: a level leaves the columns of the levels below it
    empty (England's rows no region or LA, a region's rows no LA)."""
    below = {"National": ["region_code", "region_name", "new_la_code", "old_la_code", "la_name"],
             "Regional": ["new_la_code", "old_la_code", "la_name"]}
    for level, cols in below.items():
        rows = data[data["geographic_level"] == level]
        for col in cols:
            assert (rows[col] == "").all(), (level, col)


def rule_la_and_region_codes(data: pd.DataFrame) -> None:
    """SCREENER R/check_geog_combos.R (LA and region combinations against DfE's lookups): each LA's
    GSS code, 3-digit code and name as DfE's LA list has them, in the region the list puts it in, and
    each region's code with its name (read here from pipeline/core/data/las.csv, the same list)."""
    with open(DATA_DIR / "las.csv", newline="", encoding="utf-8") as fh:
        las = list(csv.DictReader(fh))
    known = {(r["new_la_code"], r["old_la_code"], r["la_name"]): r["parent_geography_code"] for r in las}
    rows = data[data["geographic_level"] == "Local authority"]
    for new, old, name, region in rows[["new_la_code", "old_la_code", "la_name", "region_code"]].drop_duplicates() \
            .itertuples(index=False):
        assert (new, old, name) in known, (new, old, name)
        assert known[new, old, name] == region, (name, region)
        assert re.fullmatch(r"\d{3}", old) and re.fullmatch(r"E0[6-9]\d{6}|E10\d{6}", new)
    regions = data[data["region_code"] != ""][["region_code", "region_name"]].drop_duplicates()
    assert regions["region_code"].is_unique, "a region code with two names"
    assert all(re.fullmatch(r"E1200000\d", c) for c in regions["region_code"])


# --- filters and indicators ----------------------------------------------------------------------

def rule_filter_values(data: pd.DataFrame, meta: pd.DataFrame) -> None:
    """SCREENER R/check_filter_defaults.R, R/check_filter_blanks.R, R/check_filter_whitespace.R: each
    filter has its default 'Total' (no filter_default given), no blank values, no stray spaces."""
    for col in filters(meta):
        values = set(data[col])
        assert "Total" in values, col
        assert "" not in values and all(v == v.strip() for v in values), col


def rule_no_total_in_ob_units(data: pd.DataFrame) -> None:
    """SCREENER R/check_filter_ob_total.R: 'Total' or 'All' never stands in an observational unit."""
    for col in OB_UNITS:
        if col in data:
            assert not set(data[col]) & {"Total", "total", "All", "all"}, col


def rule_indicators_not_blank(data: pd.DataFrame, meta: pd.DataFrame) -> None:
    """SCREENER R/check_ind_invalid_entry.R: no indicator blank or holding a legacy symbol (~ :)."""
    for col in indicators(meta):
        assert not set(data[col]) & (LEGACY_SYMBOLS | {""}), col


def rule_indicator_values(data: pd.DataFrame, meta: pd.DataFrame) -> None:
    """STANDARDS ("Symbols") and CONTRACT section 7: an indicator is a number or one of the symbols
    this file uses, c, x, z, low (the census also uses u, low reliability, which nothing here needs)."""
    number = re.compile(r"-?\d+(\.\d+)?")
    for col in indicators(meta):
        bad = [v for v in data[col].unique() if not (number.fullmatch(v) or v in GSS_SYMBOLS)]
        assert not bad, (col, bad[:5])


def rule_no_duplicate_rows(data: pd.DataFrame, meta: pd.DataFrame) -> None:
    """SCREENER R/check_general_dupes.R: one row per observational unit and filter combination."""
    keys = [c for c in OB_UNITS if c in data] + filters(meta)
    assert not data.duplicated(keys).any()


# --- metadata ------------------------------------------------------------------------------------

def rule_meta_rows(meta: pd.DataFrame) -> None:
    """SCREENER R/precheck_meta_col_type.R, R/check_meta_label.R, R/check_meta_dupe_label.R,
    R/check_meta_col_name_dupe.R, R/check_meta_col_name_spaces.R: col_type Filter or Indicator, a
    label on every row and no label or name twice, names without spaces."""
    assert set(meta["col_type"]) <= {"Filter", "Indicator"}
    assert (meta["label"] != "").all() and meta["label"].is_unique and meta["col_name"].is_unique
    assert not meta["col_name"].str.contains(" ").any()


def rule_meta_indicator_fields(meta: pd.DataFrame) -> None:
    """SCREENER R/check_meta_indicator_grouping.R, R/check_meta_ind_unit.R,
    R/check_meta_ind_unit_validation.R, R/check_meta_ind_dp_values.R, R/check_meta_ind_dp_set.R,
    R/check_meta_filter_hint.R: a filter has no grouping, unit or dp; a unit is one EES knows; every
    indicator has its decimal places, a whole number; no indicator has a filter hint."""
    is_filter = meta["col_type"] == "Filter"
    for col in ("indicator_grouping", "indicator_unit", "indicator_dp"):
        assert (meta.loc[is_filter, col] == "").all(), col
    assert set(meta["indicator_unit"]) <= INDICATOR_UNITS
    assert meta.loc[~is_filter, "indicator_dp"].str.fullmatch(r"\d+").all()
    assert (meta.loc[~is_filter, "filter_hint"] == "").all()


def rule_meta_filter_grouping(data: pd.DataFrame, meta: pd.DataFrame) -> None:
    """SCREENER R/check_meta_fil_grp.R, R/check_meta_fil_grp_is_fil.R, R/check_meta_fil_grp_match.R: a
    filter_grouping_column, if given, is a data column that is not itself a filter, and only on filters."""
    groups = meta.loc[meta["filter_grouping_column"] != ""]
    assert (groups["col_type"] == "Filter").all()
    for group in groups["filter_grouping_column"]:
        assert group in data.columns and group not in filters(meta)


DATA_RULES = [rule_required_data_columns, rule_column_names, rule_time_identifiers, rule_time_periods,
              rule_geographic_levels, rule_country, rule_level_columns_completed,
              rule_level_columns_not_overcompleted, rule_la_and_region_codes, rule_no_total_in_ob_units]
META_RULES = [rule_meta_columns, rule_meta_rows, rule_meta_indicator_fields]
BOTH_RULES = [rule_column_order, rule_data_and_meta_match, rule_filter_values, rule_indicators_not_blank,
              rule_indicator_values,
              rule_no_duplicate_rows, rule_meta_filter_grouping]


def screen(folder: Path) -> None:
    """Every rule over ees/agency_workforce.csv and its .meta.csv in `folder`."""
    data_path, meta_path = folder / "agency_workforce.csv", folder / "agency_workforce.meta.csv"
    rule_file_names(data_path, meta_path)
    data, meta = read(data_path), read(meta_path)
    for rule in DATA_RULES:
        rule(data)
    for rule in META_RULES:
        rule(meta)
    for rule in BOTH_RULES:
        rule(data, meta)


def test_every_built_quarter_passes_the_screener(published):
    for q in published["quarters"]:
        screen(published["out"] / str(q) / "ees")


def test_the_last_quarter_holds_every_quarter_as_a_time_series(published):
    data = read(published["out"] / str(published["quarters"][-1]) / "ees" / "agency_workforce.csv")
    assert list(data[["time_period", "time_identifier"]].drop_duplicates().itertuples(index=False, name=None)) == [
        ("202526", "Financial year Q1"), ("202526", "Financial year Q2"), ("202526", "Financial year Q3")]


@pytest.mark.parametrize("rule", [r for r in DATA_RULES if r is not rule_la_and_region_codes] + [
    lambda d: rule_indicators_not_blank(d, pd.DataFrame({"col_name": d.columns[10:], "col_type": "Indicator"}))])
def test_the_data_rules_accept_dfes_own_census_file(rule):
    rule(read(CENSUS))


def test_the_rules_refuse_a_broken_file(published, tmp_path):
    """Each rule can fail: a blank indicator, a calendar-quarter time value, an LA in another region,
    a duplicate row, a missing Total."""
    folder = published["out"] / str(published["quarters"][-1]) / "ees"
    data, meta = read(folder / "agency_workforce.csv"), read(folder / "agency_workforce.meta.csv")
    la = data.index[data["geographic_level"] == "Local authority"][0]
    for rule, broken in [
        (rule_indicators_not_blank, data.assign(assignments=data["assignments"].where(data.index != 0, ""))),
        (rule_time_periods, data.assign(time_period=data["time_period"].where(data.index != 0, "202527"))),
        (rule_la_and_region_codes, data.assign(region_code=data["region_code"].where(data.index != la, "E12000009"))),
        (rule_no_duplicate_rows, pd.concat([data, data.iloc[[0]]])),
        (rule_filter_values, data[data["role_category"] != "Total"]),
    ]:
        with pytest.raises(AssertionError):
            rule(broken) if rule in DATA_RULES else rule(broken, meta)
