//! File metadata.

use plinth_kernel::{OrgId, Timestamp, UserId};

pub use plinth_kernel::Owner;

use crate::BlobKey;

plinth_kernel::typed_id!(
    /// Identifies a file (all its versions share it).
    FileId
);

/// How many files are stored and how large their current versions are, for the admin
/// statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileTotals {
    /// Number of files.
    pub count: u64,
    /// Sum of the current versions' sizes in bytes.
    pub bytes: u64,
}

/// A file deleted with everything it had ([`crate::FileRepository::delete_owned`]): its row as
/// it was and where the bytes of each of its versions are, to remove once the deletion is
/// committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedFile {
    /// The row as it was.
    pub file: FileObject,
    /// The blobs of every version (the current one included), each once.
    pub storage_keys: Vec<BlobKey>,
}

impl DeletedFile {
    /// `file` with the storage keys of `versions` and of its current version.
    #[must_use]
    pub fn new(file: FileObject, versions: impl IntoIterator<Item = BlobKey>) -> Self {
        let mut storage_keys: Vec<BlobKey> = Vec::new();
        for key in versions.into_iter().chain([file.storage_key.clone()]) {
            if !storage_keys.contains(&key) {
                storage_keys.push(key);
            }
        }
        Self { file, storage_keys }
    }
}

/// The metadata of the current version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileObject {
    /// Id.
    pub id: FileId,
    /// The account that uploaded it: its owner, unless `org_id` says an organization owns it.
    pub owner_id: UserId,
    /// The organization that owns it, if one does (then `owner_id` is only who uploaded it,
    /// and reaching it takes the organization's permissions).
    pub org_id: Option<OrgId>,
    /// Sanitised display name (no path separators or control characters).
    pub name: String,
    /// MIME type sniffed from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Version number, starting at 1.
    pub version: i32,
    /// Where the bytes are.
    pub storage_key: BlobKey,
    /// First upload.
    pub created_at: Timestamp,
    /// Last new version.
    pub updated_at: Timestamp,
    /// How many times the current version of the file was downloaded (whole or a range);
    /// counted per file, across its versions.
    pub download_count: u64,
    /// The generation of the file's signed URLs: every link carries the generation it was
    /// made under and works only while it is still the file's. Starts at 0; revoking every
    /// signed URL of the file adds one.
    pub signed_url_generation: i64,
}

impl FileObject {
    /// Whose the file is: its organization's when it has one, else its uploader's.
    #[must_use]
    pub fn owner(&self) -> Owner {
        match self.org_id {
            Some(org) => Owner::Org(org),
            None => Owner::User(self.owner_id),
        }
    }
}

/// One stored version of a file (the current one included): what was uploaded, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersion {
    /// The file.
    pub file_id: FileId,
    /// Version number, starting at 1.
    pub version: i32,
    /// Sanitised display name the version was uploaded under.
    pub name: String,
    /// MIME type sniffed from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Where the bytes are.
    pub storage_key: BlobKey,
    /// When it was uploaded.
    pub created_at: Timestamp,
}

impl FileVersion {
    /// The version row of `file`'s current version.
    #[must_use]
    pub fn of_current(file: &FileObject) -> Self {
        Self {
            file_id: file.id,
            version: file.version,
            name: file.name.clone(),
            content_type: file.content_type.clone(),
            size: file.size,
            sha256: file.sha256.clone(),
            storage_key: file.storage_key.clone(),
            created_at: file.updated_at,
        }
    }

    /// `file` as it was at this version (its id, owner and creation time, this version's
    /// content, `updated_at` = when this version was uploaded).
    #[must_use]
    pub fn as_file(&self, file: &FileObject) -> FileObject {
        FileObject {
            id: file.id,
            owner_id: file.owner_id,
            org_id: file.org_id,
            name: self.name.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
            version: self.version,
            storage_key: self.storage_key.clone(),
            created_at: file.created_at,
            updated_at: self.created_at,
            download_count: file.download_count,
            signed_url_generation: file.signed_url_generation,
        }
    }
}
