"""Every example body of seed 002 (shared/seeds/002_5b67515af7b951f9.txt), verbatim, by the
path the seed's summary table gives it; and the ids the seed's examples use."""
USER_ID, TEMPLATE_ID, MAILING_LIST_ID, CAMPAIGN_ID = 123, 456, 789, 456
EMAIL, PASSWORD, NAME = "user@example.com", "secret-password", "Demo User"

TOKEN = {"email": "user@example.com", "password": "secret-password"}
DOMAIN_ADD = {"user_id": 123, "domain_name": "example.com"}
SENDER_ADD = {"user_id": 123, "domain_name": "example.com", "sender_name": "Demo Team", "from_email": "news@example.com"}
TEMPLATE_ADD = {"user_id": 123, "name": "Welcome Template", "html_body": "<h1>Welcome</h1>", "active": True}
MAILING_ADD = {"user_id": 123, "name": "Newsletter Subscribers"}
CAMPAIGN_STORE = {
    "user_id": 123, "template_id": 456, "mailing_list_id": 789, "campaign_name": "May Newsletter",
    "begins_at": "2026-05-06 18:00:00", "segment": "all",
    "all_request": {"subject": "Hello from SMTPProvider", "html_body": "<h1>Hello</h1>", "text_body": "Hello",
                    "from_email": "news@example.com", "from_name": "Demo Team", "reply_email": "support@example.com",
                    "sender_email": "news@example.com", "speed": 1000, "vmta_id": 1, "bounce_email_id": 1,
                    "url_domain_id": 1}}
CAMPAIGN_UPDATE = {
    "user_id": 123, "campaign_id": 456, "campaign_name": "May Newsletter Updated",
    "all_request": {"subject": "Updated Subject", "html_body": "<h1>Updated HTML</h1>", "text_body": "Updated plain text",
                    "from_email": "news@example.com", "from_name": "Demo Team", "reply_email": "support@example.com",
                    "sender_email": "news@example.com", "speed": 1000, "vmta_id": 1, "bounce_email_id": 1,
                    "url_domain_id": 1}}
WELCOME = {"from_email": "owner@example.com", "shop_name": "Demo Store"}
WELCOME_CUSTOM = {"from_email": "owner@example.com", "shop_name": "Demo Store", "subject": "Welcome to SMTPProvider",
                  "html_content": "<h1>Welcome</h1>"}
# the query fields of the GET endpoints, with the seed's values
DOMAIN_QUERY = {"user_id": 123, "domain_name": "example.com"}
USER_QUERY = {"user_id": 123}
TEMPLATE_QUERY = {"user_id": 123, "template_id": 456}
CAMPAIGN_QUERY = {"user_id": 123, "campaign_id": 456}
