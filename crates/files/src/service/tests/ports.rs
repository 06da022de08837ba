//! The ports that are not storage: who the caller is, signed links and the storage quota.

use super::*;
use crate::SignedParams;
use crate::testing::FixedQuota;

/// The parameters of a signed link as the HTTP layer would read them from its query.
fn params_of(url: &str, file_id: FileId) -> SignedParams {
    let (_, query) = url.split_once('?').unwrap();
    let value = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .unwrap()
            .to_owned()
    };
    SignedParams {
        file_id,
        version: value("v").parse().unwrap(),
        expires: value("exp").parse().unwrap(),
        signer: value("by").parse().unwrap(),
        generation: value("gen").parse().unwrap(),
        kid: value("kid"),
        signature: value("sig"),
    }
}

#[tokio::test]
async fn the_caller_is_their_active_account_and_a_deleted_or_suspended_one_is_gone() {
    let f = fixture(1024);
    let ada = as_viewer(UserId::new());
    f.viewers.register(ada.clone());
    assert_eq!(f.service.viewer(&as_caller(ada.id)).await.unwrap(), ada);

    f.viewers.remove(ada.id);
    for caller in [ada.id, UserId::new()] {
        let gone = f.service.viewer(&as_caller(caller)).await;
        assert!(matches!(gone, Err(FileError::CallerGone)), "{gone:?}");
    }
}

#[tokio::test]
async fn a_signed_link_serves_its_version_until_it_is_altered_or_its_signer_is_gone() {
    let f = fixture(1024);
    let owner = as_viewer(UserId::new());
    f.viewers.register(owner.clone());
    let file = f
        .service
        .upload(
            &as_caller(owner.id),
            input("a.txt", &[b"signed bytes"]),
            &meta(),
        )
        .await
        .unwrap();
    let signed = f.service.signed_url(&owner, file.id, 60).await.unwrap();
    assert!(
        signed.url.starts_with(&format!(
            "https://files.example/api/v1/files/{}/content/signed?",
            file.id
        )),
        "under the public URL, without its trailing slash: {}",
        signed.url
    );
    let params = params_of(&signed.url, file.id);
    let (_, content) = f.service.open_signed(&params, None).await.unwrap();
    assert_eq!(read_all(content).await, b"signed bytes");

    let altered = SignedParams {
        expires: params.expires + 1,
        ..params.clone()
    };
    let refused = f.service.signed_file(&altered).await;
    assert!(
        matches!(refused, Err(FileError::BadSignature)),
        "{refused:?}"
    );

    f.viewers.remove(owner.id);
    let refused = f.service.signed_file(&params).await;
    assert!(
        matches!(refused, Err(FileError::BadSignature)),
        "a link made by an account since deleted or suspended: {refused:?}"
    );
}

#[tokio::test]
async fn an_upload_past_the_owners_quota_is_refused_and_leaves_nothing() {
    let f = fixture(1024);
    let service = FileService::new(
        FilePorts {
            quota: Arc::new(FixedQuota(10)),
            ..FilePorts::with_fakes(
                Arc::new(f.files.clone()),
                Arc::new(f.blobs.clone()),
                Arc::new(f.audit.clone()),
                Arc::new(MemoryUnitOfWork::new()),
                Arc::new(f.clock.clone()),
            )
        },
        policy(f.service.limits().clone()),
    );
    let owner = UserId::new();
    let kept = service
        .upload(&as_caller(owner), input("a.txt", &[b"six b."]), &meta())
        .await
        .unwrap();
    let refused = service
        .upload(&as_caller(owner), input("b.txt", &[b"six b."]), &meta())
        .await;
    assert!(
        matches!(
            refused,
            Err(FileError::QuotaExceeded {
                limit: 10,
                used: 6,
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(f.files.all(), vec![kept.clone()]);
    assert_eq!(f.blobs.keys(), vec![kept.storage_key.0.clone()]);
}
