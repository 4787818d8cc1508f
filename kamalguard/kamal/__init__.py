"""The Kamal view: files of a project, destinations merged, roles and accessories."""
