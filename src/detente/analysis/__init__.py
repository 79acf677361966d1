"""Series, spikes, networks and reports over the stored events."""
