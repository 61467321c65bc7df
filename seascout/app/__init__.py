"""The application on top of the stages: the CLI, the review page, Zotero, reference exports
and the process runtime. Nothing below imports it."""
