"""Exports of the work lists as CSV and XLSX: streamed when small, written by a background job when large."""
