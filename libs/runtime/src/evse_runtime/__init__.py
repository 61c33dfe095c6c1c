"""The service runtime every bus service shares."""
