"""Page bytes -> title, as a browser shows it: encodings, the walk to the first real <title>,
and XML documents' titles. Knows nothing of HTTP."""
