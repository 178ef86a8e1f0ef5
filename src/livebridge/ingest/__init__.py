"""Live-room events: the wire format, validation and (next) the one ingest path all sources use."""
