"""notify's use cases, one module per family: telling the recipients of case events
(`case_notifications`), residents' contacts (`resident_contacts`), sending a queued push
(`push_delivery`), the inbox (`inbox`), recipients' preferences (`preferences`) and the
template preview (`templates`)."""
