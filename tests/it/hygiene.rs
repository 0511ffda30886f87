//! HTTP hygiene: `nosniff` everywhere, `no-store` on the API, a request id on every response,
//! and CORS closed unless an operator names the origins.

use reqwest::Method;

use crate::common::{spawn, spawn_with, Backend, Options, TestApp};

const ALLOWED: &str = "https://app.example";

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn every_response_carries_nosniff_and_a_request_id() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let bearer = format!("Bearer {}", app.admin);
    let mut ids = std::collections::HashSet::new();
    for (path, auth, status, api) in [
        ("/healthz", None, 200, false),
        ("/openapi.json", None, 200, false),
        ("/nowhere", None, 404, false),
        ("/v1/endorsements", None, 401, true),
        ("/v1/endorsements", Some(bearer.as_str()), 200, true),
        ("/v1/keys", Some(bearer.as_str()), 200, true),
        ("/v1/nowhere", Some(bearer.as_str()), 404, true),
    ] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
        let r = raw(&app, Method::GET, path, &headers).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        assert_eq!(
            header(&r, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        let id = header(&r, "x-request-id").expect("a request id");
        assert_eq!(id.len(), 36, "a UUID: {id}");
        assert!(ids.insert(id.to_string()), "request ids are unique");
        let cache = header(&r, "cache-control");
        if api {
            assert_eq!(cache, Some("no-store"), "{path}");
        } else {
            assert_ne!(
                cache,
                Some("no-store"),
                "{path}: public pages may be cached"
            );
        }
    }
}

/// The documentation pages run only their own scripts and cannot be framed; no response can.
#[tokio::test]
async fn the_docs_have_a_content_security_policy() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    for path in ["/docs/", "/docs/swagger-initializer.js"] {
        let r = raw(&app, Method::GET, path, &[]).await;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let csp = header(&r, "content-security-policy").expect("a CSP");
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(header(&r, "x-frame-options"), Some("DENY"), "{path}");
    }
    let api = raw(&app, Method::GET, "/healthz", &[]).await;
    assert_eq!(header(&api, "x-frame-options"), Some("DENY"));
}

/// Swagger UI's default sends the document to validator.swagger.io; /docs must never call out.
#[tokio::test]
async fn the_docs_never_call_the_online_validator() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let r = raw(&app, Method::GET, "/docs/swagger-initializer.js", &[]).await;
    let js = r.text().await.unwrap();
    let compact: String = js.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains(r#""validatorUrl":"none""#), "{js}");
}

#[tokio::test]
async fn cors_is_closed_by_default() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let bearer = format!("Bearer {}", app.admin);
    let r = raw(
        &app,
        Method::GET,
        "/v1/endorsements",
        &[("authorization", &bearer), ("origin", ALLOWED)],
    )
    .await;
    assert_eq!(
        r.status().as_u16(),
        200,
        "a request with an Origin still works for servers"
    );
    assert_eq!(header(&r, "access-control-allow-origin"), None);
    let preflight = raw(
        &app,
        Method::OPTIONS,
        "/v1/endorsements",
        &[
            ("origin", ALLOWED),
            ("access-control-request-method", "POST"),
        ],
    )
    .await;
    assert!(
        preflight.status().is_client_error(),
        "{}",
        preflight.status()
    );
    assert_eq!(header(&preflight, "access-control-allow-origin"), None);
    assert_eq!(header(&preflight, "access-control-allow-methods"), None);
}

#[tokio::test]
async fn cors_answers_the_origins_an_operator_allows() {
    let opts = Options {
        cors: format!("{ALLOWED}, https://other.example:8443/")
            .parse()
            .unwrap(),
        ..Options::default()
    };
    let app = spawn_with(Backend::Sqlite, opts).await.unwrap();
    let preflight = raw(
        &app,
        Method::OPTIONS,
        "/v1/endorsements",
        &[
            ("origin", ALLOWED),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization, content-type",
            ),
        ],
    )
    .await;
    assert_eq!(preflight.status().as_u16(), 204);
    assert_eq!(
        header(&preflight, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    assert!(header(&preflight, "access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    let allowed_headers = header(&preflight, "access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"));
    assert_eq!(header(&preflight, "vary"), Some("Origin"));

    let bearer = format!("Bearer {}", app.admin);
    let r = raw(
        &app,
        Method::GET,
        "/v1/endorsements",
        &[
            ("authorization", &bearer),
            ("origin", "https://other.example:8443"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        header(&r, "access-control-allow-origin"),
        Some("https://other.example:8443")
    );
    assert!(header(&r, "access-control-expose-headers")
        .unwrap()
        .contains("X-Request-Id"));

    for stranger in [
        "https://evil.example",
        "https://app.example.evil.example",
        "null",
    ] {
        let r = raw(
            &app,
            Method::OPTIONS,
            "/v1/endorsements",
            &[
                ("origin", stranger),
                ("access-control-request-method", "POST"),
            ],
        )
        .await;
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            None,
            "{stranger}"
        );
    }
}

#[test]
fn cors_origins_are_checked_when_configured() {
    use plusk::http::CorsOrigins;
    assert_eq!("".parse::<CorsOrigins>().unwrap(), CorsOrigins::default());
    for bad in [
        "*",
        "app.example",
        "ftp://app.example",
        "https://app.example/path",
        "https://",
    ] {
        assert!(bad.parse::<CorsOrigins>().is_err(), "{bad}");
    }
}
