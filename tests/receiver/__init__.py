"""Tests of the HTTP receiver, over real HTTP."""
