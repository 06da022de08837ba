//! Pagination query parameters.

use plinth_kernel::PageRequest;

use crate::ApiError;

/// `?limit=&cursor=`.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// Validates through [`PageRequest::new`]; a bad limit or cursor is a 400.
    pub(crate) fn try_into_domain(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::new(self.limit, self.cursor.as_deref())?)
    }
}
