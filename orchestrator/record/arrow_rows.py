"""Rows as Arrow tables, and Arrow tables of differing schemas as one table, matched by column name.

The results store keeps rows in many small Parquet parts, and parts of one table differ in their
columns: a GAN stage has `g_loss`, a classifier stage `test_acc`; a column may be all-null in one
part (Arrow type `null`) and text or numbers in another; an int column in one part may be a double
in the next (`trial_number` is None for a row recovered from Ray's logs). Reading unifies them by
name with Arrow's permissive promotion (null -> anything, int -> double, ...); a column whose types
no promotion reconciles (text in one part, numbers in another) is read as text rather than failing
the whole read.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

import pyarrow as pa

_MERGE_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


def to_cell(value: Any) -> Any:
    """Parquet-friendly scalar: lists and dicts become JSON text, everything else stays."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return value


def rows_to_arrow(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """One Arrow table of `rows`: every key of any row is a column (None where a row lacks it),
    in the order keys first appear. A column whose values Arrow cannot type as one (e.g. True and 1)
    is stored as text."""
    names = list(dict.fromkeys(key for row in rows for key in row))
    return pa.table({name: _array([to_cell(row.get(name)) for row in rows]) for name in names})


def _array(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except _MERGE_ERRORS + (OverflowError,):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def unified_schema(schemas: Iterable[pa.Schema]) -> pa.Schema:
    """Every column of `schemas` once, in first-seen order, each with the type all its parts promote to
    (text where they do not)."""
    types: dict[str, list[pa.DataType]] = {}
    for schema in schemas:
        for field in schema:
            types.setdefault(field.name, []).append(field.type)
    fields = []
    for name, seen in types.items():
        try:
            unified = pa.unify_schemas([pa.schema([pa.field(name, t)]) for t in seen],
                                       promote_options="permissive").field(name).type
        except _MERGE_ERRORS:
            unified = pa.string()
        fields.append(pa.field(name, unified))
    return pa.schema(fields)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`'s columns: missing ones null, others cast to the unified type."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            columns.append(column if column.type == field.type else column.cast(field.type, safe=False))
        else:
            columns.append(pa.nulls(len(table), field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def concat(tables: Sequence[pa.Table]) -> pa.Table:
    """The rows of `tables` in order, under their unified schema (file metadata such as pandas'
    index description dropped: parts written by pandas and by Arrow read alike)."""
    tables = [t.replace_schema_metadata(None) for t in tables]
    if not tables:
        return pa.table({})
    schema = unified_schema(t.schema for t in tables)
    return pa.concat_tables([t if t.schema.equals(schema) else conform(t, schema) for t in tables])


def dedupe(table: pa.Table, key: Sequence[str], keep: str) -> pa.Table:
    """`table` with one row per `key`: the first (keep="first") or the last (keep="last") in row order.
    A key column the table lacks counts as null in every row."""
    if table.num_rows == 0:
        return table
    present = [k for k in key if k in table.column_names]
    if not present:  # every row has the same (null) key
        return table.slice(0, 1) if keep == "first" else table.slice(table.num_rows - 1, 1)
    frame = table.select(present).to_pandas()
    duplicated = frame.duplicated(keep=keep).to_numpy()
    return table.filter(pa.array(~duplicated)) if duplicated.any() else table
