"""The ground every stage stands on: the domain model, ids, text cleaning, the config, the
survey document format, periods and the clock. It imports nothing else of the project and
does no network or database I/O."""
