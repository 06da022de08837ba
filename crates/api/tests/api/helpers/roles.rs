//! Accounts of a given role, and the PATCH/DELETE client helpers of the admin tests.

use plinth_kernel::UnitOfWork;
use plinth_kernel::testing::MemoryUnitOfWork;
use plinth_users::{RoleName, UserChanges, UserId, UserRepository};
use serde_json::{Value, json};

use super::{PASSWORD, TestApp};

/// A signed-in account: its id, access token and refresh token.
pub struct SignedIn {
    pub id: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    /// Registers `email`, gives it `role` (built-in, or custom and created already) straight in
    /// the user rows (not through the API under test) and signs it in again, so that the access token carries the role's permissions.
    pub async fn sign_in_as(&self, email: &str, role: RoleName) -> SignedIn {
        let pair = self.register(email).await;
        let id = pair["user"]["id"].as_str().unwrap().to_owned();
        if role != RoleName::user() {
            let user = self
                .user_rows
                .by_id(id.parse::<UserId>().unwrap())
                .await
                .unwrap()
                .unwrap();
            let changes = UserChanges {
                role: Some(role),
                ..UserChanges::default()
            };
            let mut tx = MemoryUnitOfWork::new().begin().await.unwrap();
            self.user_rows
                .change(tx.as_mut(), user.id, &changes, user.updated_at)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let res = self
            .post_json(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": PASSWORD }),
                None,
            )
            .await;
        assert_eq!(res.status(), 200, "login {email}");
        let pair: Value = res.json().await.unwrap();
        SignedIn {
            id,
            access: pair["access_token"].as_str().unwrap().to_owned(),
            refresh: pair["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// An `admin` (not `super_admin`) account's access token.
    pub async fn admin_role_token(&self, email: &str) -> String {
        self.sign_in_as(email, RoleName::admin()).await.access
    }

    pub async fn patch_json(&self, path: &str, body: &Value, token: &str) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}
