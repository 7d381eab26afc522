//! Where the engine gets an endpoint's form model: the catalog, the bundled documents, or a
//! closure in tests.

use std::sync::Mutex;

use crate::catalog::Catalog;
use crate::schema::FormModel;

/// Where the engine gets an endpoint's form model (to build a job's input, also on resume).
pub trait ModelSource: Send + Sync {
    /// The form model of `endpoint_id`, or a sentence saying why there is none.
    fn model(&self, endpoint_id: &str) -> Result<FormModel, String>;
}

impl<F> ModelSource for F
where
    F: Fn(&str) -> Result<FormModel, String> + Send + Sync,
{
    fn model(&self, endpoint_id: &str) -> Result<FormModel, String> {
        self(endpoint_id)
    }
}

impl ModelSource for Catalog {
    fn model(&self, endpoint_id: &str) -> Result<FormModel, String> {
        Catalog::model(self, endpoint_id).map_err(|e| e.to_string())
    }
}

impl ModelSource for Mutex<Catalog> {
    fn model(&self, endpoint_id: &str) -> Result<FormModel, String> {
        let catalog = self.lock().unwrap_or_else(|p| p.into_inner());
        Catalog::model(&catalog, endpoint_id).map_err(|e| e.to_string())
    }
}

/// The form models of the endpoint documents bundled with the app.
#[derive(Debug, Clone, Copy, Default)]
pub struct BundledModels;

impl ModelSource for BundledModels {
    fn model(&self, endpoint_id: &str) -> Result<FormModel, String> {
        let doc = crate::catalog::bundled::bundled_document(endpoint_id).ok_or_else(|| {
            "it is not one of the bundled endpoints (`reelsmith endpoints` lists them)".to_string()
        })?;
        FormModel::from_openapi_str(doc).map_err(|e| e.to_string())
    }
}
