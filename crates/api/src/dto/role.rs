//! Role bodies of `/api/v1/admin/roles`.

use chrono::{DateTime, Utc};
use plinth_sessions::NewRole;
use plinth_users::Role;

/// A role and what it grants.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Role, example = json!({
    "name": "auditor",
    "rank": 0,
    "built_in": false,
    "permissions": ["audit:read"],
    "created_at": "2026-11-29T10:00:00Z"
}))]
pub(crate) struct RoleBody {
    /// Unique name; `user`, `admin` and `super_admin` are built in.
    pub name: String,
    /// `user` 0, `admin` 1, `super_admin` 2, custom roles 0. A caller acts only on accounts
    /// of strictly lower rank.
    pub rank: i32,
    /// One of the three roles of the contract (cannot be changed through the API).
    pub built_in: bool,
    /// The permissions holders get in their access tokens, sorted.
    pub permissions: Vec<String>,
    /// When the role was stored.
    pub created_at: DateTime<Utc>,
}

impl From<Role> for RoleBody {
    fn from(r: Role) -> Self {
        Self {
            permissions: r.permission_list(),
            name: r.name.0,
            rank: r.rank,
            built_in: r.built_in,
            created_at: r.created_at,
        }
    }
}

/// `GET /admin/roles`: every role (a short list, so not paginated).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = RoleList, example = json!({ "items": [
    { "name": "super_admin", "rank": 2, "built_in": true, "permissions": ["announcements:write", "audit:read", "billing:write", "roles:write", "stats:read", "users:read", "users:write"], "created_at": "2026-11-29T09:00:00Z" },
    { "name": "admin", "rank": 1, "built_in": true, "permissions": ["announcements:write", "audit:read", "billing:write", "stats:read", "users:read", "users:write"], "created_at": "2026-11-29T09:00:00Z" },
    { "name": "auditor", "rank": 0, "built_in": false, "permissions": ["audit:read"], "created_at": "2026-11-29T10:00:00Z" },
    { "name": "user", "rank": 0, "built_in": true, "permissions": [], "created_at": "2026-11-29T09:00:00Z" }
] }))]
pub(crate) struct RoleListBody {
    /// Highest rank first, then by name.
    pub items: Vec<RoleBody>,
}

/// `POST /admin/roles`: a custom role.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewRoleRequest, example = json!({ "name": "auditor", "permissions": ["audit:read"] }))]
pub(crate) struct NewRoleRequest {
    /// 2–32 characters of `a-z`, `0-9`, `_` or `-`, starting with a letter.
    pub name: String,
    /// Permissions to grant, each one the caller holds: `users:read`, `users:write`,
    /// `audit:read`, `stats:read`, `roles:write`, `billing:write`, `announcements:write`.
    pub permissions: Vec<String>,
}

impl NewRoleRequest {
    /// The domain input (checked by the service: name, known permissions, the caller's own).
    pub(crate) fn into_domain(self) -> NewRole {
        NewRole {
            name: self.name,
            permissions: self
                .permissions
                .into_iter()
                .map(|p| p.trim().to_owned())
                .collect(),
        }
    }
}
