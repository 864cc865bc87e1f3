"""The API's error shape: a 400's ``detail`` names every field's error, within a bound."""

from rest_framework import exceptions

from core.exceptions import api_exception_handler, summarize_validation_errors


def test_a_400_detail_names_every_field_and_keeps_the_errors_by_field():
    errors = {"name": ["This field is required."], "api_endpoint": ["Enter a valid URL."]}

    response = api_exception_handler(exceptions.ValidationError(errors), {})

    assert response.status_code == 400
    assert response.data["detail"] == "name: This field is required. api_endpoint: Enter a valid URL."
    assert response.data["errors"] == errors


def test_an_error_about_the_whole_request_keeps_errors_an_object_of_fields():
    response = api_exception_handler(exceptions.ValidationError("This sync has already finished."), {})

    assert response.status_code == 400
    assert response.data == {
        "detail": "This sync has already finished.",
        "errors": {"non_field_errors": ["This sync has already finished."]},
    }


def test_one_field_error_reads_as_before():
    assert summarize_validation_errors({"name": ["Taken."]}) == "name: Taken."


def test_messages_about_the_whole_request_carry_no_field_name():
    assert summarize_validation_errors({"non_field_errors": ["Pick one."]}) == "Pick one."
    assert summarize_validation_errors(["Not an object."]) == "Not an object."


def test_nested_fields_are_named_by_their_dotted_path():
    errors = {
        "pagination": {"page_size": ["Too big."], "type": ["Unknown."]},
        "rules": [{"source": ["Required."]}],
    }

    assert summarize_validation_errors(errors) == (
        "pagination.page_size: Too big. pagination.type: Unknown. rules.source: Required."
    )


def test_messages_that_end_their_sentence_are_joined_without_doubled_punctuation():
    errors = {
        "api_endpoint": ["The host name could not be resolved: check the address."],
        "sync_frequency": ['"weekly" is not a valid choice; one of: MANUAL, HOURLY, DAILY, WEEKLY.'],
        "pagination": ['pagination needs a "type", e.g. {"type": "auto"}.'],
        "when": ["Was it today?"],
        "name": ["too short"],
        "field": ["no full stop"],
    }

    summary = summarize_validation_errors(errors)

    assert ".;" not in summary and "?;" not in summary
    assert summary == (
        "api_endpoint: The host name could not be resolved: check the address. "
        'sync_frequency: "weekly" is not a valid choice; one of: MANUAL, HOURLY, DAILY, WEEKLY. '
        'pagination needs a "type", e.g. {"type": "auto"}. '
        "when: Was it today? name: too short; field: no full stop"
    )


def test_two_messages_of_one_field_are_one_entry():
    assert summarize_validation_errors({"name": ["Too long.", "Has a NUL."]}) == "name: Too long. Has a NUL."


def test_a_long_summary_is_bounded_and_counts_what_it_left_out():
    errors = {f"field_{i}": ["x" * 40] for i in range(30)}

    summary = summarize_validation_errors(errors, max_chars=200)

    assert len(summary) <= 200
    assert summary.startswith("field_0: ")
    shown = summary.count("; ") + 1
    assert summary.endswith(f" (and {30 - shown} more)")


def test_one_message_longer_than_the_bound_is_cut_with_an_ellipsis():
    summary = summarize_validation_errors({"a": ["y" * 300], "b": ["short"]}, max_chars=100)

    assert len(summary) <= 100
    assert summary.startswith("a: yyy") and summary.endswith("…; b: short")


def test_an_empty_error_falls_back_to_invalid_input():
    response = api_exception_handler(exceptions.ValidationError({}), {})

    assert response.data["detail"] == "Invalid input."


def test_a_message_that_already_names_its_field_is_not_named_twice():
    errors = {
        "request_headers": ["request_headers: the value of 'X-Page-Hint' must be a string."],
        "fields": ["fields: name at least one field, e.g. fields=id,address.city."],
        "query_params": ["query_params may have at most 50 entries."],
        "name": ["The name is taken."],
    }

    assert summarize_validation_errors(errors) == (
        "request_headers: the value of 'X-Page-Hint' must be a string. fields: name at least one field, "
        "e.g. fields=id,address.city. query_params may have at most 50 entries. name: The name is taken."
    )
