"""Partner Center's pages, by area:

customer_list         the Customers workspace: the Customer list and its export
requests              New relationship, relationship requests, a request's panel
add_customer          Add customer, and the domain prefix's live check
customer_page         a customer's page: purchase, subscriptions, Remove reseller relationship
admin_relationships   admin relationships and the roles security groups hold through them
security_groups       the partner's security groups and their members
partnerships          two tiers: indirect resellers and indirect providers
webhooks, apps        the API's webhooks and app keys
users, activity       User management, the activity log
"""
