//! Every page in English and in Vietnamese: the language follows the switcher (and is kept by
//! the account); in Vietnamese no English message of the catalogue is left on any page; both
//! pass axe-core with a clean console, and each page is photographed in both languages.

use serde_json::json;

use super::Browser;
use crate::helpers::spawn_app;

/// The English catalogue's plain messages (no variables, two words or more) that Vietnamese
/// says differently: none of them may show on a page in Vietnamese.
fn english_phrases() -> Vec<String> {
    let parse = |source: &str| -> Vec<(String, String)> {
        source
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect()
    };
    let vi: std::collections::HashMap<_, _> = parse(include_str!("../../../locales/vi.ftl"))
        .into_iter()
        .collect();
    parse(include_str!("../../../locales/en.ftl"))
        .into_iter()
        .filter(|(_, text)| !text.contains('{') && !text.contains('<') && text.contains(' '))
        .filter(|(id, text)| vi.get(id) != Some(text))
        .map(|(_, text)| text)
        .collect()
}

#[actix_web::test]
async fn every_page_speaks_vietnamese_and_english() {
    let app = spawn_app().await;
    // The first account is the platform admin: it sees /admin too.
    let owner = app.user("owner").await;
    let viewer = app.user("viewer").await;
    let ws = app.workspace(&owner, "Phòng stream").await;
    app.add_member(&ws, &owner, &viewer, "viewer").await;
    let ls = app.simulator_livestream(&owner, &ws).await;
    let (device, _) = crate::agents::device(&app, &owner, &ws, "Đèn", &["LED_ON"]).await;
    app.post(
        &format!("/workspaces/{ws}/rules"),
        &owner.token,
        json!({"name": "Bật đèn", "when": {"event": "comment", "contains": "đèn"}, "then": {"device_id": device, "command": "LED_ON", "duration_ms": 500}}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/workspaces/{ws}/livestreams/{ls}/events"),
        &owner.token,
        json!({"event_type": "comment", "payload": {"text": "đèn"}}),
    )
    .await
    .expect(202);
    app.post(
        &format!("/workspaces/{ws}/api-keys"),
        &owner.token,
        json!({"name": "Lớp phủ", "scopes": ["read"]}),
    )
    .await
    .expect(201);

    let event = crate::helpers::eventually("the command of the test event", || async {
        let commands = app
            .get(&format!("/workspaces/{ws}/commands"), &owner.token)
            .await
            .expect(200);
        commands[0]["event_id"].as_str().map(str::to_owned)
    })
    .await;
    let pages = [
        "/w".to_owned(),
        format!("/w/{ws}"),
        format!("/w/{ws}/dock"),
        format!("/w/{ws}/livestreams"),
        format!("/w/{ws}/devices"),
        format!("/w/{ws}/devices/new"),
        format!("/w/{ws}/devices/{device}"),
        format!("/w/{ws}/devices/pair"),
        format!("/w/{ws}/rules"),
        format!("/w/{ws}/rules/new"),
        format!("/w/{ws}/presets"),
        format!("/w/{ws}/overlay"),
        format!("/w/{ws}/commands"),
        format!("/w/{ws}/events/{event}/why"),
        format!("/w/{ws}/audit"),
        format!("/w/{ws}/members"),
        format!("/w/{ws}/api-keys"),
        format!("/w/{ws}/usage"),
        format!("/w/{ws}/settings"),
        "/account".to_owned(),
        "/admin".to_owned(),
    ];
    let english = english_phrases();
    assert!(english.len() > 100, "the check covers the catalogue");

    // Signed out, the switcher on the login page; then the account keeps the choice.
    let b = Browser::start("languages").await;
    b.open(&app, "/login").await;
    b.check("en-login").await;
    b.click("form.lang-switch button").await;
    b.wait_attr("html", "lang", "vi").await;
    b.check("vi-login").await;
    b.open(&app, "/register").await;
    b.check("vi-register").await;
    b.click("form.lang-switch button").await;
    b.wait_attr("html", "lang", "en").await;
    b.check("en-register").await;
    b.click("form.lang-switch button").await;
    b.wait_attr("html", "lang", "vi").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}")).await;
    // Switching while signed in is remembered by the account (another browser follows).
    b.click("form.lang-switch button").await;
    b.wait_attr("html", "lang", "en").await;
    b.click("form.lang-switch button").await;
    b.wait_attr("html", "lang", "vi").await;
    let me = app.get("/me", &owner.token).await.expect(200);
    assert_eq!(me["user"]["preferences"]["language"], "vi");
    // The event's kept "why" is written beside its command, a moment after the decision.
    let cookies = b.cookie_header().await;
    crate::helpers::eventually("the event's kept decision", || async {
        let res = app
            .client
            .get(format!("{}/w/{ws}/events/{event}/why", app.address))
            .header("cookie", &cookies)
            .send()
            .await
            .unwrap();
        (res.status() == 200).then_some(())
    })
    .await;

    // A refused form gives its reasons in the page's language (the API's stay English).
    b.open(&app, &format!("/w/{ws}/devices/new")).await;
    b.fill("#dev-name", "Quạt").await;
    b.fill("#dev-max", "99999999").await;
    b.click("form[action$='/devices'] button[type=submit]")
        .await;
    assert!(b.text("#dev-max-error").await.contains("phải từ 0 đến"));
    b.drain_expected_refusal(422).await;
    let refused: serde_json::Value = app
        .client
        .post(app.url(&format!("/workspaces/{ws}/devices")))
        .bearer_auth(&owner.token)
        .header("accept-language", "vi-VN,vi;q=0.9")
        .json(&json!({"name": "Quạt", "transport": "agent", "allowed_commands": ["FAN"], "max_duration_ms": 99999999}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        refused["details"]["fields"]["max_duration_ms"]
            .as_str()
            .unwrap()
            .starts_with("must be 0 to")
    );

    for lang in ["vi", "en"] {
        for path in &pages {
            b.open(&app, path).await;
            b.wait_attr("html", "lang", lang).await;
            let name = format!(
                "{lang}{}",
                path.replace(&ws, "ws")
                    .replace(&device, "device")
                    .replace('/', "-")
            );
            if lang == "vi" {
                let shown = b
                    .eval("return document.title + '\\n' + document.body.innerText + '\\n' + [...document.querySelectorAll('[aria-label],[placeholder],[title]')].map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('placeholder') || '') + ' ' + (e.getAttribute('title') || '')).join('\\n')")
                    .await;
                let shown = shown.as_str().unwrap_or_default().to_owned();
                let left: Vec<&String> = english
                    .iter()
                    .filter(|e| shown.contains(e.as_str()))
                    .collect();
                assert!(left.is_empty(), "{path} in Vietnamese still says {left:?}");
                if path.ends_with("/why") {
                    // The engine's reasons are messages too: "fired: LED_ON for 500 ms".
                    assert!(shown.contains("đã chạy: LED_ON trong 500 ms"), "{shown}");
                }
            }
            b.check(&name).await;
        }
        if lang == "vi" {
            b.click("form.lang-switch button").await;
            b.wait_attr("html", "lang", "en").await;
        }
    }
    b.close().await;

    // A member who chose nothing gets what the browser asks for; the viewer's browser asks for
    // English, and a refusal reads in the page's language too.
    let v = Browser::start("languages-viewer").await;
    v.sign_in(&app, &viewer.email).await;
    v.open(&app, &format!("/w/{ws}/settings")).await;
    assert_eq!(v.attr("html", "lang").await.as_deref(), Some("en"));
    assert!(
        v.text("main")
            .await
            .contains("viewers cannot change workspace settings")
    );
    v.drain_expected_refusal(403).await;
    v.open(&app, "/w").await;
    v.click("form.lang-switch button").await;
    v.wait_attr("html", "lang", "vi").await;
    v.open(&app, &format!("/w/{ws}/settings")).await;
    assert_eq!(v.attr("html", "lang").await.as_deref(), Some("vi"));
    assert!(
        v.text("main")
            .await
            .contains("người xem không thể đổi cài đặt")
    );
    v.drain_expected_refusal(403).await;
    v.close().await;
}
