"""Live monitoring: polling sources (`detente watch`) and alert rules."""
