"""The customer's portal, by area:

requests       the two kinds of partner request, answered through `request_pages`' flow
partners       Partner relationships: the partners, ending a reseller, removing roles
organization   home, the Customer Agreement, the organization profile, activity
users          Active users and resetting their sign-in methods
"""
