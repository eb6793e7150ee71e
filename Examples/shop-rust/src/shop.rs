//! The shop: seed data, state and the handlers of `shop-legacy/server.js`, in the same order.

use crate::express::{App, QueryValue, Req, Res};
use crate::js;
use serde_derive::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The tag `GET /price/:symbol` puts in `computedBy` (Express says "node", the Swift port "swift").
pub const BACKEND: &str = "rust";

pub const PRICE_LOOP_N: u32 = 1_000_000;
pub const PRICE_SCALE: f64 = 1e10;

// ---- seed (shop-legacy/seed.js) ----

const USERS: [(u32, &str, &str); 12] = [
    (1, "Ada", "ada@example.com"),
    (2, "Linus", "linus@example.com"),
    (3, "Grace", "grace@example.com"),
    (4, "Alan", "alan@example.com"),
    (5, "Barbara", "barbara@example.com"),
    (6, "Dennis", "dennis@example.com"),
    (7, "Ken", "ken@example.com"),
    (8, "Margaret", "margaret@example.com"),
    (9, "Edsger", "edsger@example.com"),
    (10, "Donald", "donald@example.com"),
    (11, "Frances", "frances@example.com"),
    (12, "Tim", "tim@example.com"),
];

const BASE_PRICES: [(&str, f64); 6] =
    [("AAPL", 190.0), ("MSFT", 410.0), ("GOOG", 175.5), ("AMZN", 185.25), ("NVDA", 120.75), ("TSLA", 250.1)];

const SKU_PRICES: [(&str, f64); 3] = [("BOOK-1", 1500.0), ("PEN-9", 200.0), ("MUG-3", 899.0)];

const FIRST_ARTICLE_ID: u64 = 101;

// ---- response bodies (field order is the wire's key order) ----

#[derive(Serialize, Clone)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub email: String,
}

/// An order; `createdAt` is a `Date` in Express, written by `Date#toJSON`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: &'static str,
    pub account_id: &'static str,
    pub amount_cents: u64,
    pub currency: &'static str,
    pub status: &'static str,
    pub created_at: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon: Option<&'static str>,
}

const ORDERS: [Order; 2] = [
    Order {
        id: "ord_123",
        account_id: "9007199254740993",
        amount_cents: 4999,
        currency: "USD",
        status: "paid",
        created_at: "2026-06-02T10:00:00.000Z",
        coupon: None,
    },
    Order {
        id: "ord_124",
        account_id: "9007199254740995",
        amount_cents: 12950,
        currency: "EUR",
        status: "shipped",
        created_at: "2026-06-03T14:25:07.250Z",
        coupon: Some("SPRING10"),
    },
];

#[derive(Serialize)]
struct Status {
    status: &'static str,
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
}

#[derive(Serialize)]
struct ErrorDetail {
    code: &'static str,
    message: &'static str,
}

#[derive(Serialize)]
struct NestedError {
    error: ErrorDetail,
}

#[derive(Serialize)]
struct Article {
    id: u64,
    title: String,
    tags: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Price {
    symbol: String,
    price: f64,
    computed_by: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checkout {
    order_id: String,
    total: f64,
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DayOfYear {
    date: String,
    day_of_year: u32,
}

// ---- state ----

struct State {
    users: BTreeMap<u64, User>,
    next_user_id: u64,
    articles: BTreeMap<u64, Article>,
    next_article_id: u64,
}

/// The service's in-memory state, seeded deterministically on start.
pub struct Shop {
    state: Mutex<State>,
}

impl Shop {
    pub fn new() -> Self {
        let users: BTreeMap<u64, User> = USERS
            .iter()
            .map(|&(id, name, email)| {
                (u64::from(id), User { id: u64::from(id), name: name.to_string(), email: email.to_string() })
            })
            .collect();
        let next_user_id = users.keys().max().copied().unwrap_or(0) + 1;
        Shop {
            state: Mutex::new(State {
                users,
                next_user_id,
                articles: BTreeMap::new(),
                next_article_id: FIRST_ARTICLE_ID,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The routes, registered in the same order as `server.js`.
pub fn app() -> App<Shop> {
    let mut app = App::new();
    app.get("/health", health);
    app.get("/users", list_users);
    app.get("/users/:id", get_user);
    app.post("/users", create_user);
    app.delete("/users/:id", delete_user);
    app.get("/orders/:id", get_order);
    app.post("/articles", create_article);
    app.get("/price/:symbol", price);
    app.post("/checkout", checkout);
    app.get("/day-of-year", day_of_year_route);
    app
}

fn error(res: &mut Res, status: u16, message: &'static str) {
    res.status(status).json(&ErrorBody { error: message });
}

fn health(_: &Shop, _: &Req, res: &mut Res) {
    res.json(&Status { status: "ok" });
}

fn list_users(shop: &Shop, req: &Req, res: &mut Res) {
    let limit = req.query_value("limit").number(10.0);
    let state = shop.state();
    let all: Vec<&User> = state.users.values().collect();
    let end = js::slice_end(limit, all.len());
    res.json(&all[..end]);
}

fn get_user(shop: &Shop, req: &Req, res: &mut Res) {
    let user = user_key(req.param("id")).and_then(|id| shop.state().users.get(&id).cloned());
    match user {
        Some(user) => res.json(&user),
        None => error(res, 404, "User not found"),
    }
}

fn create_user(shop: &Shop, req: &Req, res: &mut Res) {
    let name = match req.body_field("name") {
        Some(Value::String(given)) => js::trim(given).to_string(),
        _ => String::new(),
    };
    if name.is_empty() {
        return error(res, 400, "name is required");
    }
    let email = match req.body_field("email") {
        Some(Value::String(email)) if email.contains('@') => email.clone(),
        _ => return error(res, 400, "email is invalid"),
    };
    let mut state = shop.state();
    let user = User { id: state.next_user_id, name, email };
    state.next_user_id += 1;
    state.users.insert(user.id, user.clone());
    drop(state);
    res.status(201).json(&user);
}

fn delete_user(shop: &Shop, req: &Req, res: &mut Res) {
    if let Some(id) = user_key(req.param("id")) {
        shop.state().users.remove(&id);
    }
    res.status(204).end();
}

fn get_order(_: &Shop, req: &Req, res: &mut Res) {
    let id = req.param("id");
    match ORDERS.iter().find(|order| order.id == id) {
        Some(order) => {
            res.set("Cache-Control", "private, max-age=30".to_string());
            res.json(order);
        }
        None => {
            let body = NestedError { error: ErrorDetail { code: "ORDER_NOT_FOUND", message: "Order not found" } };
            res.status(404).json(&body);
        }
    }
}

fn create_article(shop: &Shop, req: &Req, res: &mut Res) {
    let title = match req.body_field("title") {
        Some(Value::String(title)) if !js::trim(title).is_empty() => title.clone(),
        _ => return error(res, 400, "title is required"),
    };
    let tags = match req.body_field("tags") {
        Some(tags @ Value::Array(_)) => tags.clone(),
        _ => Value::Array(Vec::new()),
    };
    let mut state = shop.state();
    let id = state.next_article_id;
    state.next_article_id += 1;
    let article = Article { id, title, tags };
    res.status(201).location(&format!("/articles/{}", id)).json(&article);
    state.articles.insert(id, article);
}

/// The symbol is upper-cased before the lookup: /price/aapl answers as AAPL.
fn price(_: &Shop, req: &Req, res: &mut Res) {
    let symbol = req.param("symbol").to_uppercase();
    match BASE_PRICES.iter().find(|(s, _)| *s == symbol) {
        Some(&(_, base)) => {
            res.json(&Price { symbol, price: base + price_adjustment(PRICE_LOOP_N), computed_by: BACKEND })
        }
        None => error(res, 404, "unknown symbol"),
    }
}

fn checkout(_: &Shop, req: &Req, res: &mut Res) {
    let order_id = match order_id(req.body_field("userId")) {
        Some(order_id) => order_id,
        None => return error(res, 400, "userId is required"),
    };
    let total = checkout_total(req.body_field("items"));
    res.json(&Checkout { order_id, total, status: "confirmed" });
}

fn day_of_year_route(_: &Shop, req: &Req, res: &mut Res) {
    let date = match req.query_value("date") {
        QueryValue::String(date) => date,
        _ => return error(res, 400, "date is invalid"),
    };
    match day_of_year(&date) {
        Some(day) => res.json(&DayOfYear { date, day_of_year: day }),
        None => error(res, 400, "date is invalid"),
    }
}

// ---- pure logic ----

/// The Map key `Number(param)` would hit, if it can be an integer id at all.
fn user_key(raw: &str) -> Option<u64> {
    let number = js::parse_number(raw);
    (js::is_integer(number) && number >= 0.0 && number < 9e15).then_some(number as u64)
}

/// `(Σ Math.sqrt(n), n = 1..count) / 1e10`, summed in order as doubles (CPU-bound on purpose).
pub fn price_adjustment(count: u32) -> f64 {
    let mut sum = 0.0;
    for n in 1..=count {
        sum += f64::from(n).sqrt();
    }
    sum / PRICE_SCALE
}

fn is_leap_year(y: f64) -> bool {
    (y % 4.0 == 0.0 && y % 100.0 != 0.0) || y % 400.0 == 0.0
}

const MONTH_DAYS: [f64; 12] = [31.0, 28.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0];

/// Day of the year (1..=366) for `YYYY-MM-DD`, with JavaScript's `Number()` for each part;
/// `None` when the date is invalid.
pub fn day_of_year(text: &str) -> Option<u32> {
    let parts: Vec<f64> = text.split('-').map(js::parse_number).collect();
    let (y, m, d) = match parts[..] {
        [y, m, d] => (y, m, d),
        _ => return None,
    };
    if !js::is_integer(y) || !js::is_integer(m) || !js::is_integer(d) {
        return None;
    }
    if !(1.0..=12.0).contains(&m) {
        return None;
    }
    let mut lengths = MONTH_DAYS;
    if is_leap_year(y) {
        lengths[1] = 29.0;
    }
    let month = m as usize;
    if d < 1.0 || d > lengths[month - 1] {
        return None;
    }
    Some(d as u32 + lengths[..month - 1].iter().sum::<f64>() as u32)
}

/// Σ price(sku) × qty in cents: a non-string or unknown SKU costs 0, a non-number qty counts 0,
/// a non-array `items` is `[]`.
pub fn checkout_total(items: Option<&Value>) -> f64 {
    let list = match items {
        Some(Value::Array(list)) => list,
        _ => return 0.0,
    };
    let mut total = 0.0;
    for item in list {
        let (mut price, mut qty) = (0.0, 0.0);
        if let Value::Object(object) = item {
            if let Some(Value::String(sku)) = object.get("sku") {
                price = SKU_PRICES.iter().find(|(s, _)| s == sku).map(|&(_, p)| p).unwrap_or(0.0);
            }
            if let Some(Value::Number(q)) = object.get("qty") {
                qty = q.as_f64().unwrap_or(0.0);
            }
        }
        total += price * qty;
    }
    total
}

/// `` `ord_${userId}` `` for a number or string id; `None` for any other type.
pub fn order_id(user_id: Option<&Value>) -> Option<String> {
    match user_id {
        Some(Value::Number(n)) => Some(format!("ord_{}", js::format_number(n.as_f64().unwrap_or(f64::NAN)))),
        Some(Value::String(s)) => Some(format!("ord_{}", s)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_of_year_follows_the_javascript_original() {
        assert_eq!(day_of_year("2026-06-02"), Some(153));
        assert_eq!(day_of_year("2024-12-31"), Some(366));
        assert_eq!(day_of_year("2023-12-31"), Some(365));
        assert_eq!(day_of_year("2000-02-29"), Some(60));
        assert_eq!(day_of_year("1900-02-29"), None);
        assert_eq!(day_of_year("2023-02-29"), None);
        assert_eq!(day_of_year("2026-13-01"), None);
        assert_eq!(day_of_year("2026-00-10"), None);
        assert_eq!(day_of_year("yesterday"), None);
        assert_eq!(day_of_year("2026-06"), None);
        assert_eq!(day_of_year("2026- 6-1e1"), Some(161));
        assert_eq!(day_of_year("2026-06-02.5"), None);
        assert_eq!(day_of_year("-2026-06-02"), None);
    }

    #[test]
    fn checkout_totals_in_cents() {
        let items: Value = serde_json::from_str(
            r#"[{"sku":"BOOK-1","qty":2},{"sku":"PEN-9","qty":3},{"sku":"MYSTERY","qty":5},{"sku":"MUG-3","qty":"2"},
                null,["BOOK-1"],{"sku":"MUG-3","qty":0.5}]"#,
        )
        .unwrap();
        assert_eq!(checkout_total(Some(&items)), 3600.0 + 449.5);
        assert_eq!(checkout_total(Some(&Value::String("x".into()))), 0.0);
        assert_eq!(checkout_total(None), 0.0);
        assert_eq!(order_id(Some(&serde_json::json!(42))).as_deref(), Some("ord_42"));
        assert_eq!(order_id(Some(&serde_json::json!(1.5e21))).as_deref(), Some("ord_1.5e+21"));
        assert_eq!(order_id(Some(&serde_json::json!("abc"))).as_deref(), Some("ord_abc"));
        assert_eq!(order_id(Some(&Value::Null)), None);
    }

    #[test]
    fn price_matches_node() {
        // What Node prints for 190.0 + the adjustment.
        assert_eq!(js::format_number(190.0 + price_adjustment(PRICE_LOOP_N)), "190.0666667166459");
    }

    #[test]
    fn user_keys_follow_number() {
        assert_eq!(user_key("1"), Some(1));
        assert_eq!(user_key("1.0"), Some(1));
        assert_eq!(user_key("0x2"), Some(2));
        assert_eq!(user_key("abc"), None);
        assert_eq!(user_key("1.5"), None);
    }
}
