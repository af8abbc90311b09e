"""CloudEvents 1.0 (https://cloudevents.io), what event routers and serverless platforms
understand: the queue's envelope as a CloudEvent in structured JSON mode, for connectors set to
send CloudEvents (over HTTP, and over AMQP with the AMQP binding's content type), and an inbound
CloudEvent read as the suite's inbound envelope."""

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
CLOUDEVENTS_BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"


def cloudevent(envelope, source):
    """The envelope as a CloudEvent 1.0 in structured JSON mode (https://cloudevents.io):
    id = the idempotency key, type = the event type, source = this Odoo, subject = the source
    record, time = when it was queued, data = the payload; the data domain, the schema's
    version and the per-key sequence (the CloudEvents sequence extension: a string that sorts
    as the numbers do) as extensions.

    >>> event = cloudevent({"idempotency_key": "k", "event_type": "stock.level",
    ...     "domain": "stock", "schema": "stock/v2", "queued_at": "2026-12-01 10:00:00",
    ...     "source": {"model": "product.product", "id": 7, "version": False},
    ...     "sequence": 42, "payload": {"sku": "A"}}, "https://erp.example.com/odoo/prod")
    >>> event["id"], event["subject"], event["time"], event["sequence"], event["dataschema"]
    ('k', 'product.product/7', '2026-12-01T10:00:00Z', '00000000000000000042', 'urn:governed-commerce-sync:stock:2')
    """
    event = {
        "specversion": "1.0",
        "id": envelope["idempotency_key"],
        "source": source,
        "type": envelope["event_type"],
        "time": envelope["queued_at"].replace(" ", "T") + "Z",
        "datacontenttype": "application/json",
        "data": envelope["payload"],
        "domain": envelope.get("domain"),
    }
    schema = envelope.get("schema")
    if schema and "/v" in schema:
        name, version = schema.rsplit("/v", 1)
        event["dataschema"] = f"urn:governed-commerce-sync:{name}:{version}"
    record = envelope.get("source")
    if record:
        event["subject"] = f"{record['model']}/{record['id']}"
        if record.get("version"):
            event["sourceversion"] = str(record["version"])
    if envelope.get("sequence") is not None:
        event["sequence"] = f"{int(envelope['sequence']):020d}"
    return {key: value for key, value in event.items() if value is not None}


def to_inbound_envelope(event):
    """(envelope, errors): a structured-mode CloudEvent as the suite's inbound envelope (id,
    type, time and data become event_id, event_type, occurred_at and payload), or the list of
    what makes it no CloudEvent this endpoint takes.

    >>> to_inbound_envelope({"specversion": "1.0", "id": "e1", "source": "/wms",
    ...     "type": "stock.adjusted", "time": "2026-12-01T10:00:00Z", "data": {"sku": "A"}})[0]
    {'event_id': 'e1', 'event_type': 'stock.adjusted', 'payload': {'sku': 'A'}, \
'occurred_at': '2026-12-01T10:00:00Z'}
    """
    errors = []
    if event.get("specversion") != "1.0":
        errors.append('specversion must be "1.0"')
    for attribute in ("id", "source", "type"):
        value = event.get(attribute)
        if not isinstance(value, str) or not value:
            errors.append(f"{attribute} must be a non-empty string")
    content_type = event.get("datacontenttype", "application/json")
    if not isinstance(content_type, str) or content_type.split(";")[0].strip().lower() != (
        "application/json"
    ):
        errors.append("datacontenttype must be application/json")
    if "data_base64" in event:
        errors.append("data_base64 is not taken: send data as JSON")
    if errors:
        return None, errors
    envelope = {"event_id": event["id"], "event_type": event["type"], "payload": event.get("data")}
    if "time" in event:
        envelope["occurred_at"] = event["time"]
    return envelope, []
