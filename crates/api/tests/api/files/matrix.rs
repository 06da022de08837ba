//! Every role (owner, `view`, `download`, `edit` sharee, stranger) × every action (get,
//! versions, list, download, new version, share, list shares, unshare, delete).

use serde_json::Value;

use super::shares::{Role, delete, listed, put_content, share, shared_file};
use crate::helpers::assert_problem;

const ROLES: [Role; 5] = [
    Role::Owner,
    Role::View,
    Role::Download,
    Role::Edit,
    Role::Stranger,
];

/// The status (and, for an error, the code) expected of `role` doing something only the
/// `allowed` roles may do: `ok` for them, 404 for a stranger, 403 for any other sharee.
fn expected(role: Role, allowed: &[Role], ok: u16) -> (u16, Option<&'static str>) {
    match role {
        Role::Stranger => (404, Some("not_found")),
        r if allowed.contains(&r) => (ok, None),
        _ => (403, Some("forbidden")),
    }
}

async fn check(res: reqwest::Response, want: (u16, Option<&str>), what: &str) {
    match want {
        (status, None) => assert_eq!(res.status().as_u16(), status, "{what}"),
        (status, Some(code)) => {
            assert_problem(res, status, code).await;
        }
    }
}

#[tokio::test]
async fn every_role_gets_exactly_what_its_share_allows() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let all_sharees = [Role::Owner, Role::View, Role::Download, Role::Edit];
    for role in ROLES {
        let token = s.token(role);
        let what = |action: &str| format!("{role:?} {action}");

        let res = app.get(&format!("/api/v1/files/{id}"), Some(token)).await;
        check(res, expected(role, &all_sharees, 200), &what("get")).await;

        let res = app
            .get(&format!("/api/v1/files/{id}/versions"), Some(token))
            .await;
        check(res, expected(role, &all_sharees, 200), &what("versions")).await;

        assert_eq!(
            listed(app, token, id).await,
            role != Role::Stranger,
            "{role:?} list"
        );

        let res = app
            .get(&format!("/api/v1/files/{id}/content"), Some(token))
            .await;
        let want = expected(role, &[Role::Owner, Role::Download, Role::Edit], 200);
        if want.0 == 200 {
            assert_eq!(res.status(), 200, "{role:?} download");
            assert!(res.headers().contains_key("etag"));
            assert!(!res.bytes().await.unwrap().is_empty());
        } else {
            check(res, want, &what("download")).await;
        }

        let res = put_content(app, token, id).await;
        check(
            res,
            expected(role, &[Role::Owner, Role::Edit], 200),
            &what("put"),
        )
        .await;

        let res = share(app, token, id, "friend@example.com", "view").await;
        check(res, expected(role, &[Role::Owner], 201), &what("share")).await;

        let res = app
            .get(&format!("/api/v1/files/{id}/shares"), Some(token))
            .await;
        check(
            res,
            expected(role, &[Role::Owner], 200),
            &what("list shares"),
        )
        .await;

        let res = delete(
            app,
            token,
            &format!("/api/v1/files/{id}/shares/friend@example.com"),
        )
        .await;
        let want = match role {
            // Only the owner's own share call made the share; the owner removes it here.
            Role::Owner => (204, None),
            other => expected(other, &[], 204),
        };
        check(res, want, &what("unshare")).await;
        if role == Role::Owner {
            // Put it back so later roles find something to (fail to) remove.
            share(app, token, id, "friend@example.com", "view").await;
        }
    }
    let file: Value = app
        .get(&format!("/api/v1/files/{id}"), Some(s.token(Role::Owner)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        file["version"], 3,
        "the owner and the edit sharee each added a version"
    );

    for role in [Role::View, Role::Download, Role::Edit, Role::Stranger] {
        let res = delete(app, s.token(role), &format!("/api/v1/files/{id}")).await;
        check(res, expected(role, &[], 204), &format!("{role:?} delete")).await;
    }
    let res = delete(app, s.token(Role::Owner), &format!("/api/v1/files/{id}")).await;
    assert_eq!(res.status(), 204);
    for role in ROLES {
        let res = app
            .get(&format!("/api/v1/files/{id}"), Some(s.token(role)))
            .await;
        assert_problem(res, 404, "not_found").await;
        assert!(!listed(app, s.token(role), id).await);
    }
}
