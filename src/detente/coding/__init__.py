"""From a parsed story to events: actors, events, relation models, dates, places, the coder."""
