"""The API's routes, one APIRouter per kind of answer; `create_app` includes them in this order
(which is also the order of the paths in the OpenAPI document)."""
