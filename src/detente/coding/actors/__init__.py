"""Actors: the dictionaries (countries, organisations, people, sectors), matching and resolution."""

from detente.coding.actors.finder import ActorFinder

__all__ = ["ActorFinder"]
