"""Marking text for translation where it is defined, to be translated where it is shown."""


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark now, translate later"
    return message
