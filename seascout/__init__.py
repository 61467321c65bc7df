"""seascout: keeps a survey of ocean and remote-sensing foundation models alive. `core/` is the
ground every stage stands on, `app/` the application on top of the stages."""
