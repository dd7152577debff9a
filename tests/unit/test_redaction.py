from shared.redaction import redact_addresses


def test_phone_numbers_and_emails_are_taken_out_of_a_gateways_refusal() -> None:
    refused = "gateway 400: number +86 139-0000-1111 (resident@example.cn) is not reachable"

    redacted = redact_addresses(refused)

    assert redacted == "gateway 400: number [number] ([email]) is not reachable"


def test_statuses_counts_and_short_numbers_stay() -> None:
    text = "SMTP 550 5.1.1 after 3 attempts in 12345 ms"

    assert redact_addresses(text) == text
