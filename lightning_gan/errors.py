"""Errors a user can fix or must know about, importable without torch (the CLI maps each to an exit status)."""
from __future__ import annotations


class DataError(ValueError):
    """A data set that is missing or malformed; the CLI prints it and exits with status 2."""

    def __init__(self, where: str, problem: str, fix: str):
        self.where, self.problem, self.fix = where, problem, fix
        super().__init__(f"data error at {where}: {problem}\n      fix: {fix}")


class WeightsMissing(RuntimeError):
    """No usable Inception weights; the message says how to get them (the CLI exits with status 2)."""


class ClassifierMissing(RuntimeError):
    """No cached classifier for this data; the message names the command that trains it (exit status 2)."""


class Diverged(RuntimeError):
    """Training produced a non-finite value; the CLI prints it and exits with status 3."""
