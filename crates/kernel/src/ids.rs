//! Typed identifiers: a `UserId` can never be passed where a `FileId` is expected.

/// Defines a UUIDv7 newtype identifier with `new`, `from_uuid`, `as_uuid`, `Display`, `FromStr`
/// and serde support (serialised as the plain UUID string).
///
/// ```
/// plinth_kernel::typed_id!(
///     /// Identifies a widget.
///     WidgetId
/// );
/// let a = WidgetId::new();
/// let b: WidgetId = a.to_string().parse().unwrap();
/// assert_eq!(a, b);
/// ```
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name($crate::uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered (UUIDv7) identifier.
            #[must_use]
            pub fn new() -> Self {
                Self($crate::uuid::Uuid::now_v7())
            }
            /// Wraps an existing UUID (for example one read from the database).
            #[must_use]
            pub const fn from_uuid(id: $crate::uuid::Uuid) -> Self {
                Self(id)
            }
            /// The UUID inside.
            #[must_use]
            pub const fn as_uuid(&self) -> $crate::uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl From<$crate::uuid::Uuid> for $name {
            fn from(id: $crate::uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for $crate::uuid::Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}
