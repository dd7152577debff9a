"""Open311 GeoReport v2 as intake speaks it, under `/open311/v2/`: a slice of its own.

Categories are the services, cases are the service requests. A case is `open` until it is
closed, rejected or merged; `status_notes` says what the resident would read. Nothing here
ever carries the resident's contact data or tracking code: GeoReport's lists are public.

- `schemas`: the resources and their constants;
- `to_case`, `from_case`, `address`: the translation to and from intake's case model (pure);
- `errors`: the spec's errors and the checks that raise them (pure);
- `rendering`: answers as JSON-ready bodies and XML (pure);
- `routes`: the HTTP routes over all of the above.

Spec: http://wiki.open311.org/GeoReport_v2 (and its Extensions page for `page`/`page_size`
and `extensions=true`).
"""
