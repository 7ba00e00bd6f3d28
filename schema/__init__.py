"""HSDS serialisation: record shapes and marshmallow schemas derived from the vendored spec."""
