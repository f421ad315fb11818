//! `GET /api/har?filter=EXPR&session=ID`: the store's network requests and page frames as HAR 1.2.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::ws::json_error;
use super::Connector;
use crate::export::{har, select::Selection};

#[derive(Debug, Deserialize)]
pub(super) struct HarParams {
    filter: Option<String>,
    session: Option<String>,
}

pub(super) async fn har(State(c): State<Connector>, Query(p): Query<HarParams>) -> Response {
    let selection = Selection { filter: p.filter, session: p.session };
    let picked = match selection.pick(&c.store().read()) {
        Ok(p) => p,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, "INVALID_MESSAGE", &e, Value::Null),
    };
    let body = har::write(&picked).to_string();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
