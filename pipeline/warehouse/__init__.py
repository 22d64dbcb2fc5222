"""TODO stage docstring."""


