"""The console's shared plumbing: request dependencies, i18n, templates and static assets."""
