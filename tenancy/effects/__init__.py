"""What follows a change, called from the record table (`record`): the audit line itself, webhook
events and their delivery, emails, and the Customer list's read model.

    record            the audit line and the table of what follows each action
    webhook_events    events raised in the change's transaction, one delivery per subscription
    webhook_delivery  where a webhook may point, signing, and the task that sends a delivery
    email             email templates, and the tasks that send them after commit
    customer_list     the Customer list's rows, refreshed in the change's transaction
"""
