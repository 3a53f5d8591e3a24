//! The OpenAPI 3 description served at `GET /v1/openapi.json`, written by hand so it says
//! exactly what the handlers in [`super`] do (a test checks it parses and names each path).

use serde_json::{json, Value};

/// The OpenAPI 3.0 document of the HTTP API.
pub fn document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "faxvox API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Send faxes through the gateway's trunk and follow them. Each sent page is \
                billed at the destination's rate against the account's out-of-plan ceiling; the \
                amount is reserved when the fax is accepted. Authenticate with an account token \
                (`faxvox account token ID`) or the admin token (api.admin_token). One account \
                never sees another's faxes: they answer 404."
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths(),
        "components": components(),
    })
}

/// The operations, one path at a time (one `json!` each: the macro recurses per token).
fn paths() -> Value {
    let mut paths = serde_json::Map::new();
    paths.insert(
        "/v1/faxes".into(),
        json!({"post": submit_fax(), "get": list_faxes()}),
    );
    paths.insert("/v1/faxes/{id}".into(), json!({"get": {
        "operationId": "getFax",
        "summary": "One fax: its state and, once final, its result",
        "parameters": [
            {"name": "id", "in": "path", "required": true, "schema": {"type": "string"},
             "example": "20261127T071530Z-3f9a2c1b"}
        ],
        "responses": {
            "200": {
                "description": "The fax",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Fax"}}}
            },
            "401": error("Missing, invalid or revoked token"),
            "404": error("No such fax for this account")
        }
    }}));
    paths.insert(
        "/v1/openapi.json".into(),
        json!({"get": {
            "operationId": "openapi",
            "summary": "This description",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3 document",
                "content": {"application/json": {"schema": {"type": "object"}}}}}
        }}),
    );
    Value::Object(paths)
}

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn submit_fax() -> Value {
    let properties = json!({
        "document": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "One part per document, sent in order: PDF, TIFF, PNG or JPEG. A fax-ready TIFF (1728 px wide) is sent page for page."
        },
        "to": {"type": "string", "example": "+33299001122", "description": "Destination number, international."},
        "from": {"type": "string", "example": "+33100000001", "description": "Caller id: one of the account's own numbers."},
        "anonymous": {"type": "boolean", "default": false, "description": "Hide the caller id (the cover page then says the number is withheld)."},
        "cover": {"type": "string", "maxLength": 2000, "description": "Text of a cover page put before the documents, with From, To, date and the page count (the cover included). Newlines start new lines; at most 2000 characters and one page once wrapped; Western European (Windows-1252) characters only, no control characters (422 cover_refused). The cover page is a sent page like any other: counted in `pages`, priced and billed. Empty: no cover page."},
        "header": {"type": "boolean", "default": true, "description": "Stamp the header line in the top 5 mm of every page sent, the cover page included: date and time in the account's time zone, the account's name and the caller id (or `withheld` when anonymous), `page n/m`. Below it the pages are sent unchanged. `false`: the pages are sent as submitted."},
        "account": {"type": "string", "description": "Only with the admin token: the sending account."},
        "fax": {"$ref": "#/components/schemas/FaxFields"}
    });
    let mut responses = serde_json::Map::new();
    responses.insert(
        "202".into(),
        json!({
            "description": "Accepted: queued, amount reserved",
            "headers": {"Location": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}
        }),
    );
    for (code, text) in [
        ("400", "Malformed multipart body"),
        ("401", "Missing, invalid or revoked token"),
        ("402", "Out-of-plan ceiling reached (ceiling_reached): a deposit lifts it"),
        ("403", "Caller id not the account's (caller_id_refused), destination on the block list (destination_blocked), account suspended or restricted"),
        ("409", "Duplicate fax"),
        ("413", "Request over api.max_upload_bytes, or a document over 20 MiB"),
        ("415", "Not multipart/form-data, or a document that is not PDF/TIFF/PNG/JPEG"),
        ("422", "Corrupt or too complex document (document_refused: over render.max_pages, an image over render.max_pixels, rendering over render.timeout_secs), unusable cover text (cover_refused), missing or invalid field, invalid destination, no rate"),
        ("429", "Every document renderer busy (busy): try again after Retry-After seconds"),
        ("500", "Gateway failure"),
        ("503", "Sending disabled (trunk.uri unset) or spool full"),
    ] {
        responses.insert(code.into(), error(text));
    }
    json!({
        "operationId": "submitFax",
        "summary": "Submit a fax: checked, priced, reserved and queued for dialling",
        "requestBody": {
            "required": true,
            "content": {"multipart/form-data": {
                "schema": {"type": "object", "properties": properties, "required": ["document"]},
                "encoding": {"fax": {"contentType": "application/json"}}
            }}
        },
        "responses": responses
    })
}

fn list_faxes() -> Value {
    json!({
        "operationId": "listFaxes",
        "summary": "The account's faxes by id, i.e. submission time (the admin token sees all), one page at a time",
        "description": "Pages hold at most `limit` faxes; follow `next` (or pass `next_cursor` as `cursor`) until it is null. A page may hold fewer faxes than `limit` (even none) while `next_cursor` is set: each page reads a bounded number of records.",
        "parameters": [
            {"name": "state", "in": "query", "required": false,
             "schema": {"type": "string", "enum": ["queued", "sent", "failed"]}},
            {"name": "account", "in": "query", "required": false,
             "description": "Admin token: only this account's faxes.",
             "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "required": false,
             "description": "Faxes per page.",
             "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
            {"name": "cursor", "in": "query", "required": false,
             "description": "Opaque: the `next_cursor` of the previous page.",
             "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "One page of faxes",
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {
                        "faxes": {"type": "array", "items": {"$ref": "#/components/schemas/Fax"}},
                        "next_cursor": {"type": "string", "nullable": true,
                            "description": "Where the next page starts; null on the last page."},
                        "next": {"type": "string", "nullable": true,
                            "description": "The path and query of the next page; null on the last page."},
                        "unreadable": {"type": "array",
                            "description": "Admin token: job records of this page that cannot be read (left out of `faxes`).",
                            "items": {"type": "object", "properties": {
                                "job": {"type": "string"}, "problem": {"type": "string"}}}}
                    },
                    "required": ["faxes", "next_cursor", "next"]
                }}}
            },
            "401": error("Missing, invalid or revoked token"),
            "422": error("Unknown state (invalid_state), limit outside 1..=500 (invalid_limit) or a cursor not from a previous page (invalid_cursor)")
        }
    })
}

/// Security scheme and schemas.
fn components() -> Value {
    let mut schemas = serde_json::Map::new();
    schemas.insert(
        "Money".into(),
        json!({"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$",
        "description": "Euros excl. tax, two decimals", "example": "0.15"}),
    );
    schemas.insert("Error".into(), json!({
        "type": "object",
        "properties": {
            "error": {"type": "string", "description": "Stable code", "example": "caller_id_refused"},
            "message": {"type": "string", "description": "For people"}
        },
        "required": ["error", "message"]
    }));
    schemas.insert(
        "FaxFields".into(),
        json!({
            "type": "object",
            "description": "The fields as one JSON part named `fax`.",
            "properties": {
                "to": {"type": "string"},
                "from": {"type": "string"},
                "anonymous": {"type": "boolean"},
                "account": {"type": "string"},
                "cover": {"type": "string", "maxLength": 2000, "description": "As the `cover` field."},
                "header": {"type": "boolean", "default": true, "description": "As the `header` field."}
            }
        }),
    );
    schemas.insert(
        "Accepted".into(),
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "state": {"type": "string", "enum": ["queued"]},
                "account": {"type": "string"},
                "from": {"type": "string"},
                "to": {"type": "string"},
                "anonymous": {"type": "boolean"},
                "header": {"type": "boolean", "description": "The header line is stamped on the pages sent."},
                "pages": {"type": "integer", "description": "Pages sent, the cover page included."},
                "rate": {"$ref": "#/components/schemas/Money"},
                "amount": {"$ref": "#/components/schemas/Money"}
            },
            "required": ["id", "state", "pages", "amount"]
        }),
    );
    let result = json!({
        "nullable": true,
        "type": "object",
        "properties": {
            "sent": {"type": "boolean"},
            "pages_confirmed": {"type": "integer"},
            "pages": {"type": "integer"},
            "charged": {"$ref": "#/components/schemas/Money"},
            "attempts": {"type": "integer"},
            "duration_secs": {"type": "integer"},
            "reason": {"type": "string"},
            "at": {"type": "string", "format": "date-time"}
        }
    });
    let fax = json!({
        "id": {"type": "string"},
        "account": {"type": "string"},
        "state": {"type": "string", "enum": ["queued", "sent", "failed"]},
        "spool_state": {"type": "string", "nullable": true},
        "from": {"type": "string"},
        "to": {"type": "string"},
        "anonymous": {"type": "boolean"},
        "pages": {"type": "integer"},
        "rate": {"$ref": "#/components/schemas/Money"},
        "amount": {"$ref": "#/components/schemas/Money"},
        "submitted": {"type": "string", "format": "date-time"},
        "pages_confirmed": {"type": "integer"},
        "attempts": {"type": "integer"},
        "attempt_log": {"type": "array", "items": {"type": "object"}},
        "result": result,
        "problem": {"type": "string", "nullable": true}
    });
    schemas.insert(
        "Fax".into(),
        json!({
            "type": "object",
            "properties": fax,
            "required": ["id", "account", "state", "pages", "amount"]
        }),
    );
    json!({
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": schemas
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_every_path() {
        let doc = super::document();
        assert_eq!(doc["openapi"], "3.0.3");
        for p in ["/v1/faxes", "/v1/faxes/{id}", "/v1/openapi.json"] {
            assert!(doc["paths"][p].is_object(), "{p}");
        }
    }
}
