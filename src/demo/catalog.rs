//! Fixed content of the fake apps: the JSON their APIs answer with and the elements a user picks.

use serde_json::{json, Value};

use super::payloads::Element;

pub fn order_json(id: u64) -> Value {
    json!({
        "id": id,
        "status": "pending",
        "customer": { "id": "cus_19", "name": "Lee Wong" },
        "items": [{ "sku": "TR-42-BLK-44", "qty": 1, "price": 119.0 }, { "sku": "HX-07-RED-M", "qty": 2, "price": 24.0 }],
        "total": 167.0,
        "currency": "EUR",
        "createdAt": "2024-06-10T09:12:44Z",
    })
}

pub fn products_json(page: u64) -> Value {
    json!({
        "page": page,
        "perPage": 24,
        "total": 311,
        "products": [
            { "id": 42, "sku": "TR-42-BLK-44", "name": "Trail Runner 2", "price": 119.0, "inStock": true },
            { "id": 7, "sku": "HX-07-RED-M", "name": "Hex Tee", "price": 24.0, "inStock": true },
            { "id": 11, "sku": "CP-11-NAV-L", "name": "Camp Pullover", "price": 59.0, "inStock": false },
        ],
    })
}

pub fn cart_json(items: u64) -> Value {
    json!({
        "id": "c_88f1",
        "items": [{ "id": 17, "sku": "TR-42-BLK-44", "qty": 1, "price": 119.0 }],
        "count": items,
        "subtotal": 129.9,
        "currency": "EUR",
    })
}

pub const SHOP_ELEMENTS: [Element; 3] = [
    Element {
        tag: "BUTTON",
        id: "add-to-cart",
        class: "btn btn-primary add-to-cart",
        attributes: &[
            ("type", "button"),
            ("data-sku", "TR-42-BLK-44"),
            ("aria-label", "Add Trail Runner 2 to cart"),
        ],
        rect: (180, 44, 612, 840),
        color: "rgb(255, 255, 255)",
        background: "rgb(79, 70, 229)",
        inner_html: "<svg class=\"icon\" aria-hidden=\"true\"><use href=\"#cart\"></use></svg> Add to cart",
        text: "Add to cart",
        xpath: "/html/body/div[1]/main/section[2]/div/button[1]",
        css: "#add-to-cart",
    },
    Element {
        tag: "DIV",
        id: "cart-summary",
        class: "cart-summary card shadow-sm",
        attributes: &[("data-testid", "cart-summary"), ("role", "region")],
        rect: (360, 280, 120, 880),
        color: "rgb(33, 37, 41)",
        background: "rgb(255, 255, 255)",
        inner_html:
            "<h2>Summary</h2><dl><dt>Subtotal</dt><dd>€129.90</dd><dt>Shipping</dt><dd>Free</dd></dl>",
        text: "Summary Subtotal €129.90 Shipping Free",
        xpath: "/html/body/div[1]/main/aside/div[1]",
        css: "#cart-summary",
    },
    Element {
        tag: "INPUT",
        id: "search",
        class: "form-control search-input",
        attributes: &[
            ("type", "search"),
            ("name", "q"),
            ("placeholder", "Search products"),
            ("autocomplete", "off"),
        ],
        rect: (420, 38, 14, 430),
        color: "rgb(33, 37, 41)",
        background: "rgb(248, 249, 250)",
        inner_html: "",
        text: "",
        xpath: "/html/body/div[1]/header/form/input",
        css: "header form > input#search",
    },
];

pub const ADMIN_ELEMENTS: [Element; 2] = [
    Element {
        tag: "TR",
        id: "",
        class: "order-row is-pending",
        attributes: &[("data-order-id", "1234"), ("tabindex", "0")],
        rect: (1180, 48, 236, 80),
        color: "rgb(33, 37, 41)",
        background: "rgb(255, 251, 235)",
        inner_html: "<td>#1234</td><td>Lee Wong</td><td>€167.00</td><td><span class=\"badge badge-warning\">Pending</span></td>",
        text: "#1234 Lee Wong €167.00 Pending",
        xpath: "/html/body/div[1]/main/table/tbody/tr[1]",
        css: "table.orders > tbody > tr:nth-child(1)",
    },
    Element {
        tag: "SPAN",
        id: "",
        class: "badge badge-warning",
        attributes: &[("title", "Awaiting payment")],
        rect: (72, 22, 249, 1090),
        color: "rgb(146, 64, 14)",
        background: "rgb(254, 243, 199)",
        inner_html: "Pending",
        text: "Pending",
        xpath: "/html/body/div[1]/main/table/tbody/tr[1]/td[4]/span",
        css: "tr[data-order-id=\"1234\"] .badge",
    },
];
