"""Scheduled chores: one row each, whose next run time is taken with a conditional update."""
from peewee import CharField, DateTimeField

from models.db import BaseModel


class Chore(BaseModel):
    name = CharField(max_length=64, unique=True)
    next_run_at = DateTimeField()
