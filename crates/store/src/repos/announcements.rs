//! [`SeaAnnouncementRepository`]: `announcements` rows ↔ [`Announcement`].

use plinth_kernel::{Page, PageRequest, RepoError, Timestamp, Transaction, UserId};
use plinth_users::{Announcement, AnnouncementId, AnnouncementRepository};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::fetch_limit;
use crate::entities::announcements;
use crate::error::repo_err;
use crate::uow::db_tx;

/// The [`AnnouncementRepository`] on SQL.
#[derive(Clone)]
pub struct SeaAnnouncementRepository {
    conn: DatabaseConnection,
}

impl SeaAnnouncementRepository {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    /// Newest first, after the page's cursor, matching `condition`, one more than a page.
    async fn page(
        &self,
        condition: Condition,
        page: PageRequest,
    ) -> Result<Page<Announcement>, RepoError> {
        let mut query = announcements::Entity::find().filter(condition);
        if let Some(cursor) = page.cursor() {
            query = query.filter(announcements::Column::Id.lt(cursor.last_id()));
        }
        let rows = query
            .order_by_desc(announcements::Column::Id)
            .limit(fetch_limit(page))
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(to_domain)
            .collect();
        Ok(Page::from_rows(rows, page, |a: &Announcement| {
            a.id.as_uuid()
        }))
    }
}

fn to_domain(row: announcements::Model) -> Announcement {
    Announcement {
        id: AnnouncementId::from_uuid(row.id),
        title: row.title,
        body: row.body,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        created_by: UserId::from_uuid(row.created_by),
        created_at: row.created_at,
    }
}

#[async_trait::async_trait]
impl AnnouncementRepository for SeaAnnouncementRepository {
    async fn insert(
        &self,
        tx: &mut dyn Transaction,
        announcement: &Announcement,
    ) -> Result<(), RepoError> {
        let row = announcements::ActiveModel {
            id: Set(announcement.id.as_uuid()),
            title: Set(announcement.title.clone()),
            body: Set(announcement.body.clone()),
            starts_at: Set(announcement.starts_at),
            ends_at: Set(announcement.ends_at),
            created_by: Set(announcement.created_by.as_uuid()),
            created_at: Set(announcement.created_at),
        };
        announcements::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn list(&self, page: PageRequest) -> Result<Page<Announcement>, RepoError> {
        self.page(Condition::all(), page).await
    }

    async fn active(
        &self,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Announcement>, RepoError> {
        // `starts_at <= now < ends_at`, a missing bound being open: `Announcement::is_active`.
        let shown = Condition::all()
            .add(
                Condition::any()
                    .add(announcements::Column::StartsAt.is_null())
                    .add(announcements::Column::StartsAt.lte(now)),
            )
            .add(
                Condition::any()
                    .add(announcements::Column::EndsAt.is_null())
                    .add(announcements::Column::EndsAt.gt(now)),
            );
        self.page(shown, page).await
    }
}
