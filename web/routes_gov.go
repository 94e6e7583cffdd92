package web

// governanceRoutes are the admin console's operation-management pages
// (council, instructions, misuse cases, rooms, assets, outsourcing; G3–G20).
func governanceRoutes() []route {
	return nil
}
